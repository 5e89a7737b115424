package main

import (
	"bufio"
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestConfigurationDocExamples runs the `console` examples of docs/configuration.md and
// compares what esdr prints with what the page shows, so the page cannot drift from the
// CLI. In a ```console block a line "$ [NAME=value ...] esdr ARGS" is a command, run from
// the repository's root with only those variables set among the ones the fixtures use;
// the lines up to the next command or the end of the block are its output, standard
// output and standard error together.
func TestConfigurationDocExamples(t *testing.T) {
	t.Chdir("../..")
	examples := consoleExamples(t, "docs/configuration.md")
	if len(examples) == 0 {
		t.Fatal("no console examples in docs/configuration.md")
	}
	for _, ex := range examples {
		t.Run(ex.line, func(t *testing.T) {
			for _, v := range []string{"ES_PASSWORD", "ESDR_ADMIN_TOKEN", "ES_API_KEY"} {
				t.Setenv(v, "")
				os.Unsetenv(v)
			}
			fields := strings.Fields(ex.line)
			for len(fields) > 0 && strings.Contains(fields[0], "=") {
				name, value, _ := strings.Cut(fields[0], "=")
				t.Setenv(name, value)
				fields = fields[1:]
			}
			if len(fields) == 0 || fields[0] != "esdr" {
				t.Fatalf("not an esdr command: %q", ex.line)
			}
			var out bytes.Buffer
			run(fields[1:], &out, &out)
			got := strings.TrimRight(out.String(), "\n")
			if want := strings.Join(ex.output, "\n"); got != want {
				t.Errorf("docs/configuration.md shows\n%s\nbut esdr prints\n%s", want, got)
			}
		})
	}
}

// consoleExample is one command of a ```console block and the output shown under it.
type consoleExample struct {
	line   string
	output []string
}

func consoleExamples(t *testing.T, path string) []consoleExample {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []consoleExample
	in, cmd := false, false // inside a console block; a command of this block seen
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in:
			in, cmd = strings.TrimSpace(line) == "```console", false
		case strings.HasPrefix(line, "```"):
			in = false
		case strings.HasPrefix(line, "$ "):
			out, cmd = append(out, consoleExample{line: strings.TrimPrefix(line, "$ ")}), true
		case cmd:
			out[len(out)-1].output = append(out[len(out)-1].output, line)
		default:
			t.Fatalf("%s: output before any command in a console block: %q", path, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
