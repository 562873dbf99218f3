package main

import (
	"context"
	"errors"
)

func importFiles(ctx context.Context, env environment, args []string) error {
	return errors.New("import is not built yet")
}
