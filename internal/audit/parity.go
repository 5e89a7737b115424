package audit

import (
	"context"
	"encoding/json"

	"github.com/esdr/esdr/internal/esclient"
)

// metaSource is what the parity rules read from each side.
type metaSource interface {
	CatIndices(ctx context.Context) ([]esclient.IndexStat, error)
	Aliases(ctx context.Context) (map[string][]string, error)
	IndexTemplates(ctx context.Context) (map[string]json.RawMessage, error)
	LegacyTemplates(ctx context.Context) (map[string]json.RawMessage, error)
	IngestPipelines(ctx context.Context) (map[string]json.RawMessage, error)
	Mappings(ctx context.Context) (map[string]json.RawMessage, error)
}

// Meta is what a cluster holds that clients depend on. A nil field was not read.
type Meta struct {
	Cluster   string
	Info      *esclient.Info
	Indices   []esclient.IndexStat
	Aliases   map[string][]string
	Templates map[string]json.RawMessage // composable
	Legacy    map[string]json.RawMessage
	Pipelines map[string]json.RawMessage
	Mappings  map[string]json.RawMessage
}

// gatherMeta reads one side; each failed read is a LiveReadFailed finding and leaves
// its field nil, so the rules comparing it are skipped rather than reporting everything
// missing.
func gatherMeta(ctx context.Context, name string, src metaSource, info *esclient.Info) (*Meta, []Finding) {
	m := &Meta{Cluster: name, Info: info}
	var out []Finding
	read := func(what string, err error) {
		if err != nil {
			out = append(out, newFinding(LiveReadFailed, name, what+": "+err.Error()))
		}
	}
	var err error
	m.Indices, err = src.CatIndices(ctx)
	read("indices", err)
	m.Aliases, err = src.Aliases(ctx)
	read("aliases", err)
	m.Templates, err = src.IndexTemplates(ctx)
	read("index templates", err)
	m.Legacy, err = src.LegacyTemplates(ctx)
	read("legacy templates", err)
	m.Pipelines, err = src.IngestPipelines(ctx)
	read("ingest pipelines", err)
	m.Mappings, err = src.Mappings(ctx)
	read("mappings", err)
	return m, out
}
