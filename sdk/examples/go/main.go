// A team GPU workbench on Azure from Go: one Standard_NC4as_T4_v3 (NVIDIA T4) in Korea Central
// with JupyterLab (PyTorch, CUDA) and RStudio Server, two users, an ADLS Gen2 data lake mounted
// on the host, a daily stop at 19:00 and an idle stop after an hour without work.
//
// Replace the example keys, the address and the account name with your own before `pulumi up`.
package main

import (
	gw "example.com/pulumi-gpu-workbench/sdk/go/gpuworkbench"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(program)
}

func program(ctx *pulumi.Context) error {
	workbench, err := gw.NewWorkbench(ctx, "team", &gw.WorkbenchArgs{
		Region: pulumi.StringRef("koreacentral"),
		// The deployer's private key, read at deploy time: it must match daniel's public key.
		SshPrivateKeyPath: pulumi.StringRef("~/.ssh/id_ed25519"),
		Config: gw.WorkbenchConfigArgsArgs{
			Target:     gw.WorkbenchTargetAzure,
			Size:       pulumi.StringRef("Standard_NC4as_T4_v3"),
			OsDiskGb:   pulumi.Float64Ref(128),
			DataDiskGb: pulumi.Float64Ref(256),
			// Who may reach SSH; there is no open default.
			AllowedCidrs: []string{"203.0.113.7/32"},
			Users: []gw.WorkbenchUserArgsArgs{
				{
					Name:         "daniel",
					SshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM5QR5F+DttOF50KU5EsNxHyI4xJYIjWL8jaJzzOtbYC daniel@laptop",
					Admin:        pulumi.BoolRef(true),
				},
				{
					Name:         "minji",
					SshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPn5OoqlQYV2QCxx1m8mNcY7ZfBLVlMHY45q2m0KDesW minji@desk",
				},
			},
			Apps: []gw.WorkbenchAppArgsArgs{
				{Kind: gw.AppKindJupyterPytorch, Gpu: pulumi.BoolRef(true)},
				{Kind: gw.AppKindRstudio},
			},
			Storage: []gw.WorkbenchStorageArgsArgs{
				// A new storage account with a hierarchical namespace, mounted at /mnt/lake.
				{Name: "lake", Kind: gw.StorageKindAdls2, Account: pulumi.StringRef("acmelakekrc01"), Container: pulumi.StringRef("raw")},
			},
			AutoShutdown: &gw.WorkbenchAutoShutdownArgsArgs{Time: "19:00", TimeZone: "Korea Standard Time"},
			IdleStop:     &gw.WorkbenchIdleStopArgsArgs{After: pulumi.StringRef("60m"), GpuBelowPercent: pulumi.Float64Ref(5)},
			Tags:         map[string]string{"team": "data-science"},
		},
	})
	if err != nil {
		return err
	}
	ctx.Export("address", workbench.Address)
	ctx.Export("sshConfig", workbench.SshConfig)
	ctx.Export("tunnels", workbench.Tunnels)
	ctx.Export("resumeCommand", workbench.ResumeCommand)
	return nil
}
