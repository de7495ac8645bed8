"""A team GPU workbench on AWS from Python: one g5.xlarge in Seoul with JupyterLab (PyTorch, CUDA)
and RStudio Server, two users, an S3 data lake mounted on the host, a daily stop at 19:00 and an
idle stop after an hour without work. The same shape as stacks/Pulumi.aws-g5.yaml.

Replace the example keys, the address and the bucket name with your own before `pulumi up`.
"""

import pulumi
import pulumi_gpu_workbench as gw

config = pulumi.Config()

workbench = gw.Workbench(
    "team",
    region="ap-northeast-2",
    # The deployer's private key, read at deploy time: it must match daniel's public key.
    ssh_private_key_path=config.get("sshPrivateKeyPath") or "~/.ssh/id_ed25519",
    config=gw.WorkbenchConfigArgsArgs(
        target=gw.WorkbenchTarget.AWS,
        size="g5.xlarge",
        os_disk_gb=128,
        data_disk_gb=256,
        # Who may reach SSH; there is no open default.
        allowed_cidrs=["203.0.113.7/32"],
        users=[
            gw.WorkbenchUserArgsArgs(
                name="daniel",
                ssh_public_key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM5QR5F+DttOF50KU5EsNxHyI4xJYIjWL8jaJzzOtbYC daniel@laptop",
                admin=True,
            ),
            gw.WorkbenchUserArgsArgs(
                name="minji",
                ssh_public_key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPn5OoqlQYV2QCxx1m8mNcY7ZfBLVlMHY45q2m0KDesW minji@desk",
            ),
        ],
        apps=[
            gw.WorkbenchAppArgsArgs(kind=gw.AppKind.JUPYTER_PYTORCH, gpu=True),
            gw.WorkbenchAppArgsArgs(kind=gw.AppKind.RSTUDIO),
        ],
        storage=[
            # A new bucket (public access blocked, encrypted, kept on destroy), mounted at /mnt/lake.
            gw.WorkbenchStorageArgsArgs(name="lake", kind=gw.StorageKind.S3, bucket="acme-lake-apne2"),
        ],
        auto_shutdown=gw.WorkbenchAutoShutdownArgsArgs(time="19:00", time_zone="Korea Standard Time"),
        idle_stop=gw.WorkbenchIdleStopArgsArgs(after="60m", gpu_below_percent=5),
        tags={"team": "data-science"},
    ),
)

pulumi.export("address", workbench.address)
pulumi.export("sshConfig", workbench.ssh_config)
pulumi.export("tunnels", workbench.tunnels)
pulumi.export("resumeCommand", workbench.resume_command)
