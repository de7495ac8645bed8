// Pulumi components that turn one stack config into a verified GPU analysis workstation for a data team.
package gpuworkbench
