package main

// The Go example under the Go SDK's mocks (pulumi.WithMocks): the exact inputs the program sends
// to the engine for the gpu-workbench:index:Workbench component (the component provider receives
// these). GPU_WORKBENCH_INPUTS_OUT, when set, names a file that receives them as JSON (the jest
// test feeds them to the TypeScript config parser).

import (
	"encoding/json"
	"os"
	"reflect"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type registration struct {
	typ, name string
	custom    bool
	inputs    map[string]interface{}
}

type recordingMocks struct {
	mu            sync.Mutex
	registrations []registration
}

func (m *recordingMocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.registrations = append(m.registrations, registration{args.TypeToken, args.Name, args.Custom, args.Inputs.Mappable()})
	state := args.Inputs.Copy()
	state["address"] = resource.NewStringProperty("203.0.113.10")
	return args.Name + "-id", state, nil
}

func (m *recordingMocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	panic("unexpected invoke " + args.Token)
}

var expectedInputs = map[string]interface{}{
	"region":            "koreacentral",
	"sshPrivateKeyPath": "~/.ssh/id_ed25519",
	"config": map[string]interface{}{
		"target":       "azure",
		"size":         "Standard_NC4as_T4_v3",
		"osDiskGb":     128.0,
		"dataDiskGb":   256.0,
		"allowedCidrs": []interface{}{"203.0.113.7/32"},
		"users": []interface{}{
			map[string]interface{}{
				"name":         "daniel",
				"sshPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM5QR5F+DttOF50KU5EsNxHyI4xJYIjWL8jaJzzOtbYC daniel@laptop",
				"admin":        true,
			},
			map[string]interface{}{
				"name":         "minji",
				"sshPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPn5OoqlQYV2QCxx1m8mNcY7ZfBLVlMHY45q2m0KDesW minji@desk",
			},
		},
		"apps": []interface{}{
			map[string]interface{}{"kind": "jupyter-pytorch", "gpu": true},
			map[string]interface{}{"kind": "rstudio"},
		},
		"storage": []interface{}{
			map[string]interface{}{"name": "lake", "kind": "adls2", "account": "acmelakekrc01", "container": "raw"},
		},
		"autoShutdown": map[string]interface{}{"time": "19:00", "timeZone": "Korea Standard Time"},
		"idleStop":     map[string]interface{}{"after": "60m", "gpuBelowPercent": 5.0},
		"tags":         map[string]interface{}{"team": "data-science"},
	},
}

func TestTheEngineReceivesExactlyTheWorkbenchInputs(t *testing.T) {
	mocks := &recordingMocks{}
	err := pulumi.RunErr(program, pulumi.WithMocks("gpu-workbench-go", "dev", mocks))
	if err != nil {
		t.Fatal(err)
	}
	if len(mocks.registrations) != 1 {
		t.Fatalf("registrations: got %d, want 1 (the Workbench): %+v", len(mocks.registrations), mocks.registrations)
	}
	r := mocks.registrations[0]
	if r.typ != "gpu-workbench:index:Workbench" || r.name != "team" || r.custom {
		t.Fatalf("registration: got (%s, %s, custom %v), want (gpu-workbench:index:Workbench, team, custom false)", r.typ, r.name, r.custom)
	}
	if !reflect.DeepEqual(r.inputs, expectedInputs) {
		got, _ := json.MarshalIndent(r.inputs, "", "  ")
		want, _ := json.MarshalIndent(expectedInputs, "", "  ")
		t.Fatalf("inputs:\ngot  %s\nwant %s", got, want)
	}
	if out := os.Getenv("GPU_WORKBENCH_INPUTS_OUT"); out != "" {
		data, _ := json.Marshal(r.inputs)
		if err := os.WriteFile(out, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
