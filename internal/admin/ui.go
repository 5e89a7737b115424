package admin

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"time"
)

// The status page: a read-only view of /v1/status and /v1/events for people, served from
// the binary. It is three static files; everything it shows it fetches from the same API
// the CLI uses, so it can show nothing the API does not, and it holds no token.

//go:embed ui
var uiFiles embed.FS

// uiCSP lets the page load only its own files and talk only to its own origin: no CDN,
// no inline script or style, no framing, no forms.
const uiCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

var uiTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// uiFile is one embedded file, read once, with its validator.
type uiFile struct {
	body  []byte
	ctype string
	etag  string
}

// addUIRoutes adds GET / (the page) and GET /ui/NAME (its assets) to the route table.
// The asset set is fixed at build time, so each gets its own entry and anything else
// under /ui/ is a 404 like every other unknown path.
func addUIRoutes(table map[string]route) {
	entries, err := fs.ReadDir(uiFiles, "ui")
	if err != nil {
		return // cannot happen with an embedded directory; the page is then simply absent
	}
	for _, e := range entries {
		name := e.Name()
		body, err := uiFiles.ReadFile("ui/" + name)
		ctype, known := uiTypes[path.Ext(name)]
		if err != nil || !known {
			continue
		}
		sum := sha256.Sum256(body)
		f := &uiFile{body: body, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		table["/ui/"+name] = route{method: http.MethodGet, access: public, handler: f.serve}
		if name == "index.html" {
			table["/"] = route{method: http.MethodGet, access: public, handler: f.serve}
		}
	}
}

func (f *uiFile) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Content-Security-Policy", uiCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	// Revalidate every time: the files change only with the binary, and a stale page
	// against a newer API would show wrong things.
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", f.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}
