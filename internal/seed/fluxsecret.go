package seed

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// FluxSecret is the Secret with which Flux reads the in-cluster Gitea
// (flux.GitReadSecret in flux-system): the FluxInstance's pull secret for
// the instance repository and the secretRef of the blueprint repositories'
// GitRepositories. Gitea takes the token as the basic-auth password.
func FluxSecret(namespace, name, user, token string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: map[string]string{
			"app.kubernetes.io/part-of": "openova", "app.kubernetes.io/managed-by": "catalyst-seed"}},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{"username": []byte(user), "password": []byte(token)},
	}
}

// EnsureFluxSecret writes the Secret unless it already holds user's
// credentials (username user and a password), so a retried or repeated
// seed keeps the token Flux uses; issue makes a token only when one is
// needed. A Secret of another user (a seed from before FluxUser, which
// used the administrator's token) is replaced. It reports whether it
// wrote the Secret. The token never appears in an error.
func EnsureFluxSecret(ctx context.Context, cs kubernetes.Interface, namespace, name, user string,
	issue func(context.Context) (user, token string, err error)) (bool, error) {
	secrets := cs.CoreV1().Secrets(namespace)
	cur, err := secrets.Get(ctx, name, metav1.GetOptions{})
	switch {
	case err == nil && string(cur.Data["username"]) == user && len(cur.Data["password"]) > 0:
		return false, nil
	case err != nil && !apierrors.IsNotFound(err):
		return false, fmt.Errorf("Flux's Gitea Secret %s/%s: %w", namespace, name, err)
	}
	issued, token, ierr := issue(ctx)
	if ierr != nil {
		return false, ierr
	}
	want := FluxSecret(namespace, name, issued, token)
	if err == nil { // present without credentials: fill it in
		cur.Data = want.Data
		_, err = secrets.Update(ctx, cur, metav1.UpdateOptions{})
	} else {
		_, err = secrets.Create(ctx, want, metav1.CreateOptions{})
	}
	if err != nil {
		return false, fmt.Errorf("write Flux's Gitea Secret %s/%s: %w", namespace, name, err)
	}
	return true, nil
}
