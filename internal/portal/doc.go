// Package portal is the developer portal's core: the offerings (à la carte
// blueprints with a thin claim), the teams that may request into which
// namespaces, validation of a request in catalyst validate's words, and the
// Service that turns a request into a pull request in the instance
// repository and a PortalRequest object the tracker follows to ready.
//
// Catalyst opens pull requests; it never approves or merges them.
package portal
