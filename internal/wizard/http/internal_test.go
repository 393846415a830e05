package http

// TofuEnv exposes the held values → tofu environment mapping to the
// external tests, which apply it to the exported variables.tf.
var TofuEnv = tofuEnv
