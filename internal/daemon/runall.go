package daemon

import (
	"context"
	"errors"
	"fmt"
)

// runAll runs each part in its own goroutine until ctx ends or one part returns; then
// the others are cancelled and waited for. The first error other than a cancellation
// is returned, prefixed with the part's name.
func runAll(ctx context.Context, parts map[string]func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(parts))
	for name, f := range parts {
		go func() {
			err := f(ctx)
			if err != nil {
				err = fmt.Errorf("%s: %w", name, err)
			}
			errs <- err
		}()
	}
	var first error
	for range parts {
		if err := <-errs; err != nil && first == nil && !errors.Is(err, context.Canceled) {
			first = err
		}
		cancel()
	}
	return first
}
