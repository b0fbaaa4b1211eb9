package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/pflag"
)

// common are the flags every command that touches accounts takes.
type common struct {
	configPath string
	logFile    string
	logLevel   string
}

func (c *common) register(fs *pflag.FlagSet) {
	fs.StringVar(&c.configPath, "config", "", "config `FILE` (default $MAILMCP_CONFIG or $XDG_CONFIG_HOME/mailmcp/config.toml)")
	fs.StringVar(&c.logFile, "log-file", "", "write logs to this `FILE` instead of stderr")
	fs.StringVar(&c.logLevel, "log-level", "", "`LEVEL`: debug, info, warn or error (default: config log_level, info)")
}

// logger builds the slog logger: stderr or --log-file, never stdout.
func (c *common) logger(stderr io.Writer, cfgLevel string) (*slog.Logger, func(), error) {
	level := c.logLevel
	if level == "" {
		level = cfgLevel
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	out, closeFn := stderr, func() {}
	if c.logFile != "" {
		f, err := os.OpenFile(c.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("open log file: %w", err)
		}
		out, closeFn = f, func() { f.Close() }
	}
	return slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: lv})), closeFn, nil
}
