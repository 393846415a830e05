package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Mode says how much the controller may do on its own.
// +kubebuilder:validation:Enum=automatic;semi-automatic;manual
type Mode string

const (
	// ModeAutomatic takes over as soon as the witness reports the peer's
	// lease expired (and the replication lag is within the RPO bound).
	ModeAutomatic Mode = "automatic"
	// ModeSemiAutomatic proposes a takeover; a human approves that epoch.
	ModeSemiAutomatic Mode = "semi-automatic"
	// ModeManual never takes over except on an explicit switchover request.
	ModeManual Mode = "manual"
)

// FailoverGroupSpec declares one region's side of an active/standby pair.
// +kubebuilder:validation:XValidation:rule="self.region != self.peerRegion",message="spec.peerRegion must differ from spec.region"
type FailoverGroupSpec struct {
	// Region is this cluster's region; it is the holder name at the witness.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Region string `json:"region"`

	// PeerRegion is the other region of the pair.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	PeerRegion string `json:"peerRegion"`

	// Witness is the third-site lease authority both regions share.
	Witness WitnessSpec `json:"witness"`

	// Mode is automatic, semi-automatic (a human approves each takeover
	// epoch) or manual (takeover only on an explicit switchover request).
	// +kubebuilder:default=semi-automatic
	// +optional
	Mode Mode `json:"mode,omitempty"`

	// Timing of lease renewal; defaults are renew 10s, TTL 30s, retry 10s.
	// +kubebuilder:default={renewInterval:"10s",ttl:"30s",retryTimeout:"10s"}
	// +optional
	Timing Timing `json:"timing,omitempty"`

	// RPO bounds the data loss an automatic takeover may cause.
	// +kubebuilder:default={}
	// +optional
	RPO RPOSpec `json:"rpo,omitempty"`

	// Layers lists what the actuators switch when this region becomes
	// active or stands down.
	// +optional
	Layers Layers `json:"layers,omitempty"`

	// Approval is a human's decision on a pending takeover proposal, for
	// one specific epoch (written by `catalyst failover approve`). The
	// controller acts on it only if Epoch equals the proposal's epoch.
	// +optional
	Approval *Approval `json:"approval,omitempty"`

	// Switchover requests a planned switchover (written by `catalyst
	// failover switchover`). The controller acts on each request ID once.
	// +optional
	Switchover *SwitchoverRequest `json:"switchover,omitempty"`
}

// WitnessSpec locates the witness and this region's credentials for it.
type WitnessSpec struct {
	// URL of the witness, e.g. https://witness.example.net.
	// +kubebuilder:validation:Pattern=`^https?://.+`
	URL string `json:"url"`

	// LeaseName is the lease both regions contend for.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	LeaseName string `json:"leaseName"`

	// CredentialsSecretRef names a Secret in the FailoverGroup's namespace
	// holding this region's witness token. Never copied into status.
	CredentialsSecretRef SecretKeyRef `json:"credentialsSecretRef"`
}

// SecretKeyRef names one key of a Secret in the FailoverGroup's namespace.
type SecretKeyRef struct {
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// +kubebuilder:default=token
	// +optional
	Key string `json:"key,omitempty"`
}

// Timing of the lease. The holder must be able to miss a renewal and retry
// twice within one TTL: renewInterval + 2 × retryTimeout ≤ ttl.
// +kubebuilder:validation:XValidation:rule="duration(self.renewInterval) + duration(self.retryTimeout) + duration(self.retryTimeout) <= duration(self.ttl)",message="timing: renewInterval + 2 × retryTimeout must not exceed ttl; lower renewInterval or retryTimeout, or raise ttl"
// +kubebuilder:validation:XValidation:rule="duration(self.renewInterval) > duration('0s') && duration(self.retryTimeout) > duration('0s')",message="timing: renewInterval and retryTimeout must be positive"
type Timing struct {
	// RenewInterval between renewals by the holder.
	// +kubebuilder:default="10s"
	// +optional
	RenewInterval *metav1.Duration `json:"renewInterval,omitempty"`
	// TTL of the lease at the witness.
	// +kubebuilder:default="30s"
	// +optional
	TTL *metav1.Duration `json:"ttl,omitempty"`
	// RetryTimeout bounds one witness request.
	// +kubebuilder:default="10s"
	// +optional
	RetryTimeout *metav1.Duration `json:"retryTimeout,omitempty"`
}

// RPOSpec bounds replication lag for automatic takeover.
type RPOSpec struct {
	// MaxLagSeconds is the largest last-known replication lag at which an
	// automatic takeover proceeds; above it, or when the lag is unknown,
	// the controller asks for approval instead.
	// +kubebuilder:default=30
	// +kubebuilder:validation:Minimum=0
	// +optional
	MaxLagSeconds *int64 `json:"maxLagSeconds,omitempty"`
}

// Layers are the resources the actuators control, per traffic layer.
type Layers struct {
	// +optional
	External ExternalLayer `json:"external,omitempty"`
	// +optional
	Internal InternalLayer `json:"internal,omitempty"`
	// +optional
	Stateful StatefulLayer `json:"stateful,omitempty"`
}

// ExternalLayer: k8gb gates, one per protected entry point.
type ExternalLayer struct {
	// +listType=map
	// +listMapKey=gateService
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Gates []Gate `json:"gates,omitempty"`
}

// Gate is a selector-less Service whose EndpointSlice the controller marks
// ready only while this region is active. Each HTTPRoute listed references
// it as a weight-0 backend, so k8gb (serviceHealthPolicy: All) sees the
// route unhealthy in an inactive region.
type Gate struct {
	// GateService is the name of the gate Service, in the FailoverGroup's
	// namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	GateService string `json:"gateService"`
	// HTTPRoutes protected by this gate.
	// +kubebuilder:validation:MaxItems=64
	// +optional
	HTTPRoutes []ObjectRef `json:"httpRoutes,omitempty"`
}

// ObjectRef names a namespaced object.
type ObjectRef struct {
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Namespace; the FailoverGroup's namespace when empty.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// Affinity of a Cilium global service.
// +kubebuilder:validation:Enum=local;remote;none
type Affinity string

const (
	AffinityLocal  Affinity = "local"
	AffinityRemote Affinity = "remote"
	AffinityNone   Affinity = "none"
)

// InternalLayer: Cilium Cluster Mesh global services.
type InternalLayer struct {
	// +kubebuilder:validation:MaxItems=256
	// +optional
	Services []GlobalService `json:"services,omitempty"`
}

// GlobalService is a Service shared across the mesh. While this region is
// active it shares its backends with ActiveAffinity; while standby it stops
// sharing and prefers remote (active) backends with StandbyAffinity.
type GlobalService struct {
	ObjectRef `json:",inline"`
	// +kubebuilder:default=local
	// +optional
	ActiveAffinity Affinity `json:"activeAffinity,omitempty"`
	// +kubebuilder:default=remote
	// +optional
	StandbyAffinity Affinity `json:"standbyAffinity,omitempty"`
}

// StatefulLayer: data services whose primary follows the active region.
// +kubebuilder:validation:XValidation:rule="!has(self.valkeySelector) || (has(self.valkeySelector.matchLabels) && size(self.valkeySelector.matchLabels) > 0) || (has(self.valkeySelector.matchExpressions) && size(self.valkeySelector.matchExpressions) > 0)",message="spec.layers.stateful.valkeySelector must not be empty (it would select every Service); use matchLabels {failover.openova.io/follow: \"true\"}"
// +kubebuilder:validation:XValidation:rule="!has(self.cnpgSelector) || (has(self.cnpgSelector.matchLabels) && size(self.cnpgSelector.matchLabels) > 0) || (has(self.cnpgSelector.matchExpressions) && size(self.cnpgSelector.matchExpressions) > 0)",message="spec.layers.stateful.cnpgSelector must not be empty (it would select every CNPG Cluster); use matchLabels {failover.openova.io/follow: \"true\"}"
type StatefulLayer struct {
	// CNPG lists Clusters by name.
	// +kubebuilder:validation:MaxItems=64
	// +optional
	CNPG []CNPGCluster `json:"cnpg,omitempty"`
	// CNPGSelector selects further CNPG Clusters by label, in every
	// namespace, resolved again at each actuation so Clusters created after
	// the FailoverGroup follow too. Each selected Cluster must be a member
	// of a two-member distributed topology; its peer is its own
	// spec.replica.source (see docs/failover.md). A Cluster that is not is
	// reported in status.selectedCNPG and a Warning event, never actuated.
	// Clusters also listed in cnpg are actuated once.
	// +optional
	CNPGSelector *metav1.LabelSelector `json:"cnpgSelector,omitempty"`
	// Valkey lists instances by address.
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Valkey []ValkeyInstance `json:"valkey,omitempty"`
	// ValkeySelector selects further Valkey instances by their Services'
	// labels, in every namespace, resolved again at each actuation so
	// instances created after the FailoverGroup follow too. A selected
	// Service is this region's primary (reached at <name>.<namespace>.svc
	// on its first port); its annotations name the peer region's Service
	// in the same namespace (failover.openova.io/valkey-peer-service) and
	// the Secret whose key "default" is the default user's password
	// (failover.openova.io/valkey-secret). The controller may read only
	// the Secrets it is granted (see docs/failover.md). A Service missing
	// either is reported in status.selectedValkey and a Warning event,
	// never actuated.
	// +optional
	ValkeySelector *metav1.LabelSelector `json:"valkeySelector,omitempty"`
	// +kubebuilder:validation:MaxItems=64
	// +optional
	MirrorMaker2 []MirrorMaker2 `json:"mirrorMaker2,omitempty"`
}

// CNPGCluster is this region's member of a CNPG distributed topology,
// by metadata.name; its own topology name is read from its
// spec.replica.self (CNPG's default: metadata.name).
type CNPGCluster struct {
	ObjectRef `json:",inline"`
	// PeerCluster is the name of the other region's Cluster in the
	// topology (its spec.replica.self, or its name).
	// +kubebuilder:validation:MinLength=1
	PeerCluster string `json:"peerCluster"`
}

// SelectedCNPGCluster is one Cluster the selector matched, and its state
// relative to the group.
type SelectedCNPGCluster struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Self and Peer are the topology names (spec.replica.self and
	// spec.replica.source) the actuator uses.
	// +optional
	Self string `json:"self,omitempty"`
	// +optional
	Peer string `json:"peer,omitempty"`
	// Problem says why the Cluster is not actuated (empty when it is).
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Problem string `json:"problem,omitempty"`
	// Primary is the Cluster's spec.replica.primary as last read.
	// +optional
	Primary string `json:"primary,omitempty"`
	// Role is what the Cluster is told to be: Primary (primary here),
	// Replica (following the peer region), Fenced (cnpg.io/fencedInstances
	// set), or RebuildRequired (was primary when its peer was promoted
	// without a token; re-clone it as a replica).
	// +optional
	Role CNPGRole `json:"role,omitempty"`
	// Epoch is the epoch of the last actuation stamped on the Cluster
	// (failover.openova.io/epoch); 0 when never actuated.
	// +optional
	Epoch int64 `json:"epoch,omitempty"`
	// Converged is true when Role is what the group's state asks of it:
	// Primary while this region holds the lease, Replica while it stands
	// by. Optional in the schema, so a controller from before it can
	// still write the status; always written by this one.
	// +optional
	Converged bool `json:"converged"`
	// LastError is the last actuation of this Cluster that failed, until
	// one succeeds.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	LastError string `json:"lastError,omitempty"`
}

// CNPGRole is a selected Cluster's role as its spec and annotations say.
// +kubebuilder:validation:Enum=Primary;Replica;Fenced;RebuildRequired;Unknown
type CNPGRole string

const (
	CNPGRolePrimary         CNPGRole = "Primary"
	CNPGRoleReplica         CNPGRole = "Replica"
	CNPGRoleFenced          CNPGRole = "Fenced"
	CNPGRoleRebuildRequired CNPGRole = "RebuildRequired"
	CNPGRoleUnknown         CNPGRole = "Unknown"
)

// ValkeyInstance is this region's Valkey primary-or-replica.
type ValkeyInstance struct {
	// Address host:port of this region's Valkey.
	// +kubebuilder:validation:MinLength=3
	Address string `json:"address"`
	// PeerAddress host:port this instance replicates from while standby.
	// +kubebuilder:validation:MinLength=3
	PeerAddress string `json:"peerAddress"`
	// SecretRef names the Secret key holding the Valkey password.
	// +optional
	SecretRef *SecretKeyRef `json:"secretRef,omitempty"`
}

// SelectedValkey is one Valkey instance the selector matched (by its
// Service), and its state relative to the group.
type SelectedValkey struct {
	Namespace string `json:"namespace"`
	// Name of this region's Service.
	Name string `json:"name"`
	// PeerService is the peer region's Service the instance replicates
	// from while this region stands by.
	// +optional
	PeerService string `json:"peerService,omitempty"`
	// Address and PeerAddress are host:port as the actuator uses them.
	// +optional
	Address string `json:"address,omitempty"`
	// +optional
	PeerAddress string `json:"peerAddress,omitempty"`
	// Problem says why the instance is not actuated (empty when it is).
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Problem string `json:"problem,omitempty"`
	// Role is what the instance's ROLE reply says: Primary, Replica (of
	// ReplicaOf), or Unknown (not reachable; see ObserveError).
	// +optional
	Role ValkeyRole `json:"role,omitempty"`
	// ReplicaOf is the host:port a Replica follows.
	// +optional
	ReplicaOf string `json:"replicaOf,omitempty"`
	// Epoch is the epoch stamped in the instance's keyspace by the last
	// actuation (openova:failover:epoch); 0 when never actuated.
	// +optional
	Epoch int64 `json:"epoch,omitempty"`
	// Converged is true when Role is what the group's state asks of it:
	// Primary while this region holds the lease, Replica of PeerAddress
	// while it stands by.
	// +optional
	Converged bool `json:"converged"`
	// ObserveError is why the instance could not be read, if it could not.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	ObserveError string `json:"observeError,omitempty"`
	// LastError is the last actuation of this instance that failed, until
	// one succeeds.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	LastError string `json:"lastError,omitempty"`
}

// ValkeyRole is a selected Valkey instance's role as it reports it.
// +kubebuilder:validation:Enum=Primary;Replica;Unknown
type ValkeyRole string

const (
	ValkeyRolePrimary ValkeyRole = "Primary"
	ValkeyRoleReplica ValkeyRole = "Replica"
	ValkeyRoleUnknown ValkeyRole = "Unknown"
)

// MirrorDirection says when a KafkaMirrorMaker2 runs.
// +kubebuilder:validation:Enum=pull;push
type MirrorDirection string

const (
	// MirrorPull: the MM2 targets this region's Kafka and mirrors from the
	// peer; it runs only while this region is standby.
	MirrorPull MirrorDirection = "pull"
	// MirrorPush: the MM2 targets the peer's Kafka and mirrors from this
	// region; it runs only while this region is active.
	MirrorPush MirrorDirection = "push"
)

// MirrorMaker2 is a Strimzi KafkaMirrorMaker2 whose connectors follow the
// active region, so data always flows from active to standby.
type MirrorMaker2 struct {
	ObjectRef `json:",inline"`
	// +kubebuilder:default=pull
	// +optional
	Direction MirrorDirection `json:"direction,omitempty"`
}

// Decision on a takeover proposal.
// +kubebuilder:validation:Enum=approve;deny
type Decision string

const (
	DecisionApprove Decision = "approve"
	DecisionDeny    Decision = "deny"
)

// Approval is a human's decision for one proposal epoch.
type Approval struct {
	// Epoch of the proposal decided on; any other epoch is ignored.
	// +kubebuilder:validation:Minimum=1
	Epoch int64 `json:"epoch"`
	// By is who decided (recorded in history and events).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	By string `json:"by"`
	// +kubebuilder:default=approve
	// +optional
	Decision Decision `json:"decision,omitempty"`
	// At is when the decision was recorded.
	// +optional
	At *metav1.Time `json:"at,omitempty"`
}

// SwitchoverRequest asks for a planned move of the active role to Target.
type SwitchoverRequest struct {
	// ID makes the request unique; the controller acts on each ID once.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	ID string `json:"id"`
	// Target region that should become active.
	// +kubebuilder:validation:MinLength=1
	Target string `json:"target"`
	// By is who requested it.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	By string `json:"by"`
	// +optional
	At *metav1.Time `json:"at,omitempty"`
}

// FailoverGroupStatus is what the controller observed and did.
type FailoverGroupStatus struct {
	// ObservedGeneration is the spec generation last acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// State of this region's controller (ACTIVE, STANDBY, FAILING_OVER, ...).
	// +optional
	State State `json:"state,omitempty"`
	// Epoch is the highest fencing token this region has seen.
	// +optional
	Epoch int64 `json:"epoch,omitempty"`
	// Holder of the lease as last reported by the witness.
	// +optional
	Holder string `json:"holder,omitempty"`
	// LastRenewal is when this region's last successful renewal was sent.
	// +optional
	LastRenewal *metav1.Time `json:"lastRenewal,omitempty"`
	// ReplicationLagSeconds is the last known lag of this region's data
	// behind the active one (meaningful while standby).
	// +optional
	ReplicationLagSeconds *int64 `json:"replicationLagSeconds,omitempty"`
	// PendingProposal is a takeover waiting for approval.
	// +optional
	PendingProposal *Proposal `json:"pendingProposal,omitempty"`
	// LastFailover records the RTO and RPO of the last takeover.
	// +optional
	LastFailover *FailoverRecord `json:"lastFailover,omitempty"`
	// LastSwitchoverID is the switchover request last acted on.
	// +optional
	LastSwitchoverID string `json:"lastSwitchoverID,omitempty"`
	// SelectedCNPG is what spec.layers.stateful.cnpgSelector resolved to
	// at the last resolution, sorted by namespace and name.
	// +kubebuilder:validation:MaxItems=512
	// +optional
	SelectedCNPG []SelectedCNPGCluster `json:"selectedCNPG,omitempty"`
	// SelectedValkey is what spec.layers.stateful.valkeySelector resolved
	// to at the last resolution, sorted by namespace and name.
	// +kubebuilder:validation:MaxItems=512
	// +optional
	SelectedValkey []SelectedValkey `json:"selectedValkey,omitempty"`
	// Conditions: Ready, Reconciling, Stalled, and Degraded when a
	// selected CNPG Cluster or Valkey instance cannot be actuated.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// History is the evidence trail, newest last, bounded to HistoryLimit.
	// +kubebuilder:validation:MaxItems=100
	// +optional
	History []HistoryEntry `json:"history,omitempty"`
}

// State of a controller; the state machine owns the vocabulary.
type State string

const (
	StateStandby          State = "STANDBY"
	StateAwaitingApproval State = "AWAITING_APPROVAL"
	StateActive           State = "ACTIVE"
	StateFailingOver      State = "FAILING_OVER"
	StateDemoting         State = "DEMOTING"
	StateFenced           State = "FENCED"
)

// Proposal is a takeover the controller will perform once approved.
type Proposal struct {
	// Epoch the takeover would hold; approvals must name it.
	Epoch int64 `json:"epoch"`
	// Reason, e.g. "peer lease expired" or "replication lag above bound".
	Reason string `json:"reason"`
	// LagSeconds is the last known replication lag, if known.
	// +optional
	LagSeconds *int64 `json:"lagSeconds,omitempty"`
	// At is when it was proposed.
	At metav1.Time `json:"at"`
}

// FailoverRecord measures one takeover.
type FailoverRecord struct {
	Epoch int64 `json:"epoch"`
	// From and To regions.
	From string `json:"from"`
	To   string `json:"to"`
	// Planned is true for a switchover, false for a takeover after expiry.
	Planned bool `json:"planned"`
	// At is when every actuator confirmed.
	At metav1.Time `json:"at"`
	// RTO from detected loss (or request) to every actuator confirmed.
	RTO metav1.Duration `json:"rto"`
	// RPOSeconds is the replication lag at takeover (the data at risk).
	// +optional
	RPOSeconds *int64 `json:"rpoSeconds,omitempty"`
}

// HistoryKind classifies an evidence entry.
// +kubebuilder:validation:Enum=Transition;Proposal;Approval;Denial;Actuation;Switchover
type HistoryKind string

const (
	HistoryTransition HistoryKind = "Transition"
	HistoryProposal   HistoryKind = "Proposal"
	HistoryApproval   HistoryKind = "Approval"
	HistoryDenial     HistoryKind = "Denial"
	HistoryActuation  HistoryKind = "Actuation"
	HistorySwitchover HistoryKind = "Switchover"
)

// HistoryLimit bounds status.history; older entries are dropped (events
// and the controller's logs keep the full trail).
const HistoryLimit = 100

// HistoryEntry is one piece of evidence.
type HistoryEntry struct {
	Time  metav1.Time `json:"time"`
	Kind  HistoryKind `json:"kind"`
	Epoch int64       `json:"epoch"`
	// Who acted: the controller's region, or the approver.
	// +optional
	Who string `json:"who,omitempty"`
	// From and To states for a transition.
	// +optional
	From State `json:"from,omitempty"`
	// +optional
	To State `json:"to,omitempty"`
	// Message, e.g. the actuator and object acted on.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`
}

// FailoverGroup is one region's side of an active/standby failover pair.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=fg,categories=openova
// +kubebuilder:printcolumn:name="Region",type=string,JSONPath=`.spec.region`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="Epoch",type=integer,JSONPath=`.status.epoch`
// +kubebuilder:printcolumn:name="Mode",type=string,JSONPath=`.spec.mode`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type FailoverGroup struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   FailoverGroupSpec   `json:"spec,omitempty"`
	Status FailoverGroupStatus `json:"status,omitempty"`
}

// FailoverGroupList is a list of FailoverGroups.
//
// +kubebuilder:object:root=true
type FailoverGroupList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []FailoverGroup `json:"items"`
}
