package failover

// PatchSpec is patchSpec, for the tests of the conflict it meets.
var PatchSpec = patchSpec
