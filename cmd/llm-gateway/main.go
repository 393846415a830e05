// Command llm-gateway is OpenOva's LLM gateway, and with
// --mode=anthropic-adapter the catalog's anthropic-adapter component.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/openova-io/openova/internal/llmgateway/config"
	"github.com/openova-io/openova/internal/llmgateway/serve"
)

func main() {
	path := flag.String("config", "", "config file (YAML); see docs/llm-gateway.md")
	mode := flag.String("mode", "", "gateway or anthropic-adapter (overrides the file's mode)")
	check := flag.Bool("check", false, "validate the config and exit")
	flag.Parse()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	c, err := load(*path, *mode)
	if err != nil {
		fmt.Fprintln(os.Stderr, "llm-gateway:", err)
		os.Exit(2)
	}
	if *check {
		fmt.Println("config ok")
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := serve.Run(ctx, c, os.Getenv, log); err != nil {
		log.Error("exiting", "err", err)
		os.Exit(1)
	}
}

func load(path, mode string) (*config.Config, error) {
	if path == "" {
		if mode != string(config.ModeAnthropicAdapter) || os.Getenv("UPSTREAM_URL") == "" {
			return nil, fmt.Errorf("--config is required (or --mode=anthropic-adapter with UPSTREAM_URL set)")
		}
		return serve.AdapterConfig(os.Getenv("UPSTREAM_URL"))
	}
	c, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	if mode != "" {
		c.Mode = config.Mode(mode)
	}
	// The blueprint gives Valkey's address in the environment.
	if a := os.Getenv("VALKEY_ADDR"); a != "" && c.Valkey != nil {
		c.Valkey.Addr = a
	}
	return c, c.Validate()
}
