package portal

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kfields "k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
)

// DefaultPoll is how often Follow reads a request when its client cannot
// watch.
const DefaultPoll = 2 * time.Second

// Final says a request will change no more.
func Final(pr *platformv1.PortalRequest) bool {
	return pr.Status.Phase == platformv1.PhaseReady || pr.Status.Phase == platformv1.PhaseFailed
}

// Follow sends one of the caller's requests now and again each time it
// changes, and closes the channel once it is Ready or Failed, gone, ctx
// ends, or the API server fails (the caller may follow again). Changes are
// pushed by a watch when Kube can watch (client.WithWatch); otherwise the
// request is read every poll (DefaultPoll when 0).
func (s *Service) Follow(ctx context.Context, groups []string, name string, poll time.Duration) (<-chan platformv1.PortalRequest, error) {
	first, err := s.Get(ctx, groups, name)
	if err != nil {
		return nil, err
	}
	if poll <= 0 {
		poll = DefaultPoll
	}
	out := make(chan platformv1.PortalRequest)
	go func() {
		defer close(out)
		last := *first
		if !sendRequest(ctx, out, last) {
			return
		}
		for !Final(&last) {
			next, err := s.next(ctx, name, last.ResourceVersion, poll)
			if err != nil || next == nil {
				return
			}
			if next.ResourceVersion == last.ResourceVersion {
				continue
			}
			last = *next
			if !sendRequest(ctx, out, last) {
				return
			}
		}
	}()
	return out, nil
}

func sendRequest(ctx context.Context, out chan<- platformv1.PortalRequest, pr platformv1.PortalRequest) bool {
	select {
	case out <- pr:
		return true
	case <-ctx.Done():
		return false
	}
}

// next waits for the request to differ from resourceVersion rv: nil when
// it was deleted.
func (s *Service) next(ctx context.Context, name, rv string, poll time.Duration) (*platformv1.PortalRequest, error) {
	if w, ok := s.Kube.(client.WithWatch); ok {
		return s.watchNext(ctx, w, name, rv)
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(poll):
	}
	var pr platformv1.PortalRequest
	if err := s.Kube.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: name}, &pr); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	return &pr, nil
}

// watchNext watches the one request from rv and returns its next
// version; when the watch ends or fails, the request is read instead.
func (s *Service) watchNext(ctx context.Context, w client.WithWatch, name, rv string) (*platformv1.PortalRequest, error) {
	wi, err := w.Watch(ctx, &platformv1.PortalRequestList{}, &client.ListOptions{Namespace: s.Namespace,
		FieldSelector: kfields.OneTermEqualSelector("metadata.name", name), Raw: &metav1.ListOptions{ResourceVersion: rv}})
	if err != nil {
		return nil, fmt.Errorf("watch PortalRequest %s: %w", name, err)
	}
	defer wi.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case ev, open := <-wi.ResultChan():
			switch {
			case !open || ev.Type == watch.Error:
				// The API server ended the watch, or rv is too old
				// (410 Gone): read the request as it is now.
				var pr platformv1.PortalRequest
				if err := s.Kube.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: name}, &pr); err != nil {
					return nil, client.IgnoreNotFound(err)
				}
				return &pr, nil
			case ev.Type == watch.Deleted:
				return nil, nil
			}
			if pr, ok := ev.Object.(*platformv1.PortalRequest); ok {
				return pr, nil
			}
		}
	}
}
