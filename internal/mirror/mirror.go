// Package mirror keeps the standby warm with every write acknowledged through esdr: a
// durable, checksummed, append-only journal of accepted writes, a replicator that applies
// it to the standby in order, and the policy that says which writes can be mirrored.
package mirror

import (
	"errors"
	"time"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrJournalFull: the journal holds its configured maximum of unapplied bytes, because
	// the standby lags. Appending more would mean dropping writes the standby has not seen,
	// so the write must be refused instead.
	ErrJournalFull = errors.New("mirror: journal full")
	// ErrCorrupt: a record that is not a torn tail failed its checks. Replication stops;
	// a human must look at the named file and offset.
	ErrCorrupt = errors.New("mirror: journal corrupt")
	// ErrClosed: the journal was closed.
	ErrClosed = errors.New("mirror: journal closed")
	// ErrRefused: the standby refused a record with an error that retrying cannot fix
	// (a mapping conflict, a malformed body). Replication stops at that record.
	ErrRefused = errors.New("mirror: the cluster refused the record")
	// ErrFenced: the cluster refused a record with the cluster-wide read-only block esdr
	// fences with (set by esdr when traffic left it, or by an operator). The record is
	// retried until the block is lifted: esdr resync lifts it.
	ErrFenced = errors.New("mirror: the cluster is read-only (fenced)")
)

// Record is one write accepted by the active cluster, as it is journaled and replayed.
type Record struct {
	// Seq is assigned by Journal.Append: 1, 2, 3, ... without gaps, for the life of the
	// journal directory.
	Seq         uint64
	Method      string // PUT, POST or DELETE
	Path        string // escaped path, e.g. /orders/_doc/42
	Query       string // raw query string without "?"
	ContentType string // as the client sent it
	Body        []byte
	// Epoch and Cluster say which active cluster accepted the write, under which epoch.
	Epoch   uint64
	Cluster string
	Time    time.Time // when the active cluster acknowledged it
}
