package instance

// Defaults OpenOva chooses when the spec is silent.
const (
	DefaultControlPlaneCount = 3
	DefaultControlPlaneType  = "cpx31"
	DefaultWorkerType        = "cpx41"
	DefaultWorkerCount       = 3
	DefaultHetznerLBType     = "lb11"
)

// SetDefaults fills what the spec leaves out with OpenOva's recommended
// choices. It never overrides a value that is set, and never invents one
// that validation should reject (an unknown location keeps no zone).
func SetDefaults(in *Instance) {
	s := &in.Spec
	if s.Cloud == "" {
		s.Cloud = CloudHetzner
	}
	for i := range s.Regions {
		r := &s.Regions[i]
		if r.NetworkZone == "" {
			r.NetworkZone, _ = HetznerNetworkZone(r.Location)
		}
		if r.ControlPlane.Count == 0 {
			r.ControlPlane.Count = DefaultControlPlaneCount
		}
		if r.ControlPlane.ServerType == "" {
			r.ControlPlane.ServerType = DefaultControlPlaneType
		}
		if r.WorkerPools == nil {
			r.WorkerPools = []WorkerPool{{Name: "default", ServerType: DefaultWorkerType, Count: DefaultWorkerCount}}
		}
	}
	if s.LoadBalancer.Type == "" {
		s.LoadBalancer.Type = LBCloud
	}
	if s.LoadBalancer.Type == LBCloud && s.LoadBalancer.HetznerType == "" {
		s.LoadBalancer.HetznerType = DefaultHetznerLBType
	}
	if s.Secrets.Backend == "" {
		s.Secrets.Backend = SecretsOpenBao
	}
	if len(s.Regions) == 2 && s.Failover.Mode == "" {
		// Regulated customers want a human in the loop by default.
		s.Failover.Mode = FailoverSemiAutomatic
	}
	if len(s.Regions) == 2 && s.Failover.Witness.URL == "" && s.Domain != "" {
		s.Failover.Witness.URL = "https://witness." + s.Domain
	}
	if s.SupplyChain.ImageVerification == "" {
		s.SupplyChain.ImageVerification = VerifyAudit
	}
	if s.Git.Org == "" {
		s.Git.Org = s.Tenant
	}
	if s.Git.Repository == "" && s.Tenant != "" {
		s.Git.Repository = s.Tenant + "-private"
	}
}
