"""The Python example under Pulumi's Python SDK mocks: the exact inputs the program sends to the
engine for the gpu-workbench:index:Workbench component (the component provider receives these).

    PYTHONPATH=../../python python -m pytest -q test_main.py

GPU_WORKBENCH_INPUTS_OUT, when set, names a file that receives the recorded inputs as JSON (the
jest test feeds them to the TypeScript config parser).
"""

import importlib.util
import json
import os
import pathlib

import pulumi

HERE = pathlib.Path(__file__).parent


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self):
        self.registrations = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.registrations.append(args)
        state = dict(args.inputs)
        if args.typ == "gpu-workbench:index:Workbench":
            state["address"] = "203.0.113.10"
        return [f"{args.name}-id", state]

    def call(self, args: pulumi.runtime.MockCallArgs):
        raise AssertionError(f"unexpected invoke {args.token}")


mocks = RecordingMocks()
pulumi.runtime.set_mocks(mocks, project="gpu-workbench-python", stack="dev", preview=False)

spec = importlib.util.spec_from_file_location("workbench_program", HERE / "__main__.py")
program = importlib.util.module_from_spec(spec)
spec.loader.exec_module(program)

EXPECTED_INPUTS = {
    "region": "ap-northeast-2",
    "sshPrivateKeyPath": "~/.ssh/id_ed25519",
    "config": {
        "target": "aws",
        "size": "g5.xlarge",
        "osDiskGb": 128,
        "dataDiskGb": 256,
        "allowedCidrs": ["203.0.113.7/32"],
        "users": [
            {
                "name": "daniel",
                "sshPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM5QR5F+DttOF50KU5EsNxHyI4xJYIjWL8jaJzzOtbYC daniel@laptop",
                "admin": True,
            },
            {
                "name": "minji",
                "sshPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPn5OoqlQYV2QCxx1m8mNcY7ZfBLVlMHY45q2m0KDesW minji@desk",
            },
        ],
        "apps": [{"kind": "jupyter-pytorch", "gpu": True}, {"kind": "rstudio"}],
        "storage": [{"name": "lake", "kind": "s3", "bucket": "acme-lake-apne2"}],
        "autoShutdown": {"time": "19:00", "timeZone": "Korea Standard Time"},
        "idleStop": {"after": "60m", "gpuBelowPercent": 5},
        "tags": {"team": "data-science"},
    },
}


@pulumi.runtime.test
def test_the_engine_receives_exactly_the_workbench_inputs():
    def check(address):
        assert address == "203.0.113.10"
        assert [(r.typ, r.name, r.custom) for r in mocks.registrations] == [("gpu-workbench:index:Workbench", "team", False)]
        inputs = mocks.registrations[0].inputs
        assert inputs == EXPECTED_INPUTS
        out = os.environ.get("GPU_WORKBENCH_INPUTS_OUT")
        if out:
            pathlib.Path(out).write_text(json.dumps(inputs))

    return program.workbench.address.apply(check)
