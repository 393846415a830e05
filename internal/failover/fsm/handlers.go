package fsm

import "fmt"

// reply applies one witness answer. Unknown or repeated sequence numbers
// (duplicates, replies to forgotten requests) are ignored.
func (m *Machine) reply(r Reply, out []Action) []Action {
	p, ok := m.take(r.Seq)
	switch {
	case !ok:
		return out
	case r.Outcome == Unavailable:
		m.retry(p)
		return out
	case p.kind == Renew:
		return m.renewReply(p, r, out)
	case p.kind == Release:
		return out
	}
	if r.Lease.Epoch < m.maxEpoch && r.Seq > m.viewSeq {
		// A witness never lowers an epoch; a view that does is stale
		// or broken, and acting on it could reuse an old epoch.
		return append(out, Note{Kind: "ignored-reply", Epoch: r.Lease.Epoch,
			Detail: fmt.Sprintf("witness reported epoch %d below the %d already seen", r.Lease.Epoch, m.maxEpoch)})
	}
	if r.Seq > m.viewSeq {
		m.view, m.viewSeq = r.Lease, r.Seq
	}
	m.maxEpoch = max(m.maxEpoch, r.Lease.Epoch)
	if m.state.Holding() && m.maxEpoch > m.epoch {
		// A late answer shows a newer grant: ours is gone.
		return m.fence(fmt.Sprintf("witness reports epoch %d above ours", m.maxEpoch), out)
	}
	if p.kind == Acquire {
		return m.acquireReply(p, r, out)
	}
	return m.observe(out)
}

// observe decides what a standby does with the latest view.
func (m *Machine) observe(out []Action) []Action {
	if m.state != Standby && m.state != AwaitingApproval {
		return out
	}
	if m.view.Held {
		if m.view.ExpiresIn > 0 {
			// Liveness only: look again just after the witness expects
			// the lease to lapse. Safety never depends on this.
			m.sendAt = min(m.sendAt, m.now+m.view.ExpiresIn+m.cfg.RenewInterval/100)
		}
		if m.state == AwaitingApproval && m.view.Epoch >= m.proposal {
			m.approved = 0
			out = append(out, Note{Kind: "proposal-withdrawn", Epoch: m.proposal,
				Detail: fmt.Sprintf("%s holds the lease at epoch %d", orNone(m.view.Holder), m.view.Epoch)})
			return m.transition(Standby, "lease held again", out)
		}
		return out
	}
	next := m.view.Epoch + 1
	if m.state == AwaitingApproval && m.proposal != next {
		m.approved = 0
		out = append(out, Note{Kind: "proposal-withdrawn", Epoch: m.proposal, Detail: "the lease moved to another epoch"})
		out = m.transition(Standby, "proposal outdated", out)
	}
	if m.mayAcquire() {
		m.sendAt = m.now // acquire at once; the witness compares the epoch
		return out
	}
	switch {
	case m.state == AwaitingApproval:
		return out
	case m.cfg.Mode == Manual:
		if m.noted != next {
			m.noted = next
			out = append(out, Note{Kind: "lease-expired", Epoch: next,
				Detail: "manual mode: approve this epoch to take over"})
		}
		return out
	case m.denied == next:
		return out
	}
	m.proposal, m.approved = next, 0
	out = append(out, Propose{Epoch: next, Lag: m.Status().Lag, Reason: m.proposalReason()})
	return m.transition(AwaitingApproval, "lease expired; takeover proposed", out)
}

// mayAcquire reports whether a standby may take the free lease on its own.
func (m *Machine) mayAcquire() bool {
	next := m.view.Epoch + 1
	if m.approved == next {
		return true
	}
	return m.cfg.Mode == Automatic && m.lagWithinBound() && !m.yieldedView() && m.denied != next
}

// yieldedView reports whether the free lease is the one this region
// released in a switchover.
func (m *Machine) yieldedView() bool { return m.didYield && m.yielded == m.view.Epoch }

func (m *Machine) lagWithinBound() bool {
	return m.cfg.MaxLag == 0 || (m.lagKnown && m.lag <= m.cfg.MaxLag)
}

func (m *Machine) proposalReason() string {
	switch {
	case m.cfg.Mode == SemiAutomatic:
		return "semi-automatic mode"
	case m.yieldedView():
		return "this region released the lease in a switchover"
	case !m.lagKnown:
		return fmt.Sprintf("replication lag unknown; RPO bound is %s", m.cfg.MaxLag)
	default:
		return fmt.Sprintf("replication lag %s exceeds the RPO bound %s", m.lag, m.cfg.MaxLag)
	}
}

func (m *Machine) acquireReply(p pending, r Reply, out []Action) []Action {
	if m.state != Standby && m.state != AwaitingApproval {
		return out
	}
	if r.Outcome != OK {
		if m.state == AwaitingApproval && m.view.Epoch >= m.proposal {
			m.approved = 0
			out = append(out, Note{Kind: "proposal-withdrawn", Epoch: m.proposal, Detail: "the witness refused: " + r.Outcome.String()})
			return m.transition(Standby, "approved takeover lost the race", out)
		}
		return out
	}
	e := r.Lease.Epoch
	switch {
	case e <= p.epoch || e <= m.epoch || e < m.maxEpoch:
		return append(out, Note{Kind: "ignored-reply", Epoch: e, Detail: fmt.Sprintf("grant at epoch %d is not above every epoch seen", e)})
	case p.approval != 0 && e != p.approval:
		return append(out, Note{Kind: "ignored-reply", Epoch: e, Detail: fmt.Sprintf("grant at epoch %d, but epoch %d was approved", e, p.approval)})
	case m.now >= p.sent+m.budget:
		return append(out, Note{Kind: "ignored-reply", Epoch: e, Detail: "grant arrived after its local deadline"})
	}
	m.epoch, m.maxEpoch = e, max(m.maxEpoch, e)
	m.deadline, m.renewed = p.sent+m.budget, p.sent
	m.sendAt = p.sent + m.cfg.RenewInterval
	m.approved, m.proposal = 0, 0
	out = m.transition(FailingOver, "witness granted the lease after expiry", out)
	return append(out, Actuate{Op: Activate, Epoch: e})
}

func (m *Machine) renewReply(p pending, r Reply, out []Action) []Action {
	if !m.state.Holding() || p.epoch != m.epoch {
		return out
	}
	if r.Outcome != OK {
		return m.fence("witness refused the renewal: "+r.Outcome.String(), out)
	}
	m.deadline = max(m.deadline, p.sent+m.budget)
	m.renewed = max(m.renewed, p.sent)
	return out
}

func (m *Machine) actuated(d ActuatorsDone, out []Action) []Action {
	if d.Epoch != m.epoch {
		return out
	}
	switch {
	case d.Op == Activate && m.state == FailingOver:
		return m.transition(Active, "every actuator confirmed", out)
	case d.Op == Deactivate && m.state == Demoting:
		m.yielded, m.didYield = m.epoch, true
		out = m.transition(Standby, "switchover: deactivated; lease released", out)
		return append(out, m.send(Release, m.epoch))
	case d.Op == Fence && m.state == Fenced:
		return m.transition(Standby, "fenced", out)
	}
	return out
}

func (m *Machine) approve(a Approve, out []Action) []Action {
	next := m.view.Epoch + 1
	switch {
	case m.state == AwaitingApproval && a.Epoch == m.proposal:
	case m.state == Standby && m.cfg.Mode == Manual && m.viewSeq > 0 && !m.view.Held && a.Epoch == next:
		m.proposal = next
		out = m.transition(AwaitingApproval, "manual takeover requested", out)
	default:
		return append(out, Note{Kind: "approval-refused", Epoch: a.Epoch, By: a.By, Detail: m.refusal(a.Epoch)})
	}
	m.approved = a.Epoch
	m.sendAt = m.now
	return append(out, Note{Kind: "approved", Epoch: a.Epoch, By: a.By})
}

func (m *Machine) refusal(epoch uint64) string {
	switch {
	case m.state == AwaitingApproval:
		return fmt.Sprintf("the open proposal is for epoch %d", m.proposal)
	case m.state == Standby && m.cfg.Mode == Manual && !m.view.Held && m.viewSeq > 0:
		return fmt.Sprintf("the lease is free at epoch %d; approve epoch %d", m.view.Epoch, m.view.Epoch+1)
	default:
		return fmt.Sprintf("no takeover to approve in state %s", m.state)
	}
}

func (m *Machine) deny(d Deny, out []Action) []Action {
	if m.state != AwaitingApproval || d.Epoch != m.proposal {
		return append(out, Note{Kind: "denial-refused", Epoch: d.Epoch, By: d.By, Detail: m.refusal(d.Epoch)})
	}
	m.denied, m.approved = d.Epoch, 0
	out = append(out, Note{Kind: "denied", Epoch: d.Epoch, By: d.By})
	return m.transition(Standby, "takeover denied", out)
}

func (m *Machine) switchover(s Switchover, out []Action) []Action {
	if m.state != Active {
		return append(out, Note{Kind: "switchover-refused", Epoch: m.epoch, By: s.By, Detail: "only an ACTIVE region can switch over; this one is " + m.state.String()})
	}
	out = append(out, Note{Kind: "switchover", Epoch: m.epoch, By: s.By})
	out = m.transition(Demoting, "planned switchover", out)
	return append(out, Actuate{Op: Deactivate, Epoch: m.epoch})
}
