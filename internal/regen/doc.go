// Package regen turns one day-2 edit of an instance repository — upgrade a
// component, enable a capability pack, add a region — into the content of
// a pull request: the files `catalyst generate` would write into a
// checkout of the repository and the generated files it would remove.
//
// It is pure: the repository arrives as a snapshot (path → content, from
// forge.Snapshot) and the catalog as loaded. The generator honours the
// instance lock: every component already in openova.lock is rendered at
// its locked versions, so an edit moves only what it names; customer files
// (not in .openova/generated.txt) are never written or removed.
package regen
