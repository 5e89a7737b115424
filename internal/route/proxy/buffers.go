package proxy

import "sync"

// Response bodies are copied through a buffer taken once the node's response headers
// are in, sized by what the node announced: the whole of a small answer, up to
// chunkSize of anything else. The start of the body is read into it before the client
// sees anything (until then a failed read can still be retried), then the rest is copied
// through it as it arrives.
const (
	// chunkSize is the buffer for bodies of unknown length or larger than smallChunkSize.
	chunkSize = 32 << 10
	// smallChunkSize is the buffer for bodies announced at most that long: most answers
	// (cluster health, a document, an index acknowledgement, a small search) are a few
	// hundred bytes, and a 32 KiB buffer per request in flight was the largest part of
	// the proxy's memory at 256 connections.
	smallChunkSize = 4 << 10
)

// chunk is a pooled buffer and the pool it returns to.
type chunk struct {
	b    []byte
	pool *sync.Pool
}

var chunks, smallChunks sync.Pool

func init() {
	chunks.New = func() any { return &chunk{b: make([]byte, chunkSize), pool: &chunks} }
	smallChunks.New = func() any { return &chunk{b: make([]byte, smallChunkSize), pool: &smallChunks} }
}

// getChunk returns a buffer for a body of contentLength bytes (-1 when unknown).
func getChunk(contentLength int64) *chunk {
	if contentLength >= 0 && contentLength <= smallChunkSize {
		return smallChunks.Get().(*chunk)
	}
	return chunks.Get().(*chunk)
}

// putChunk returns c to its pool; nil is ignored. Nothing may use c.b afterwards.
func putChunk(c *chunk) {
	if c != nil {
		c.pool.Put(c)
	}
}
