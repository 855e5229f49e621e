package server

import (
	"context"

	"github.com/straitproxy/strait/internal/config"
)

// Check builds everything New would build for cfg and releases it at once,
// without binding a socket: it opens (creating where missing, as a start
// would) every error_log and access_log file, compiles log formats, maps,
// access rules and limits, and loads every listen ssl certificate. It is
// strait -t's second half, after config.Load; like nginx -t, it leaves
// behind the log files it created. opts.Logger and opts.ProcessLog are
// ignored.
func Check(cfg *config.Config, opts Options) error {
	opts.Logger, opts.ProcessLog = nil, nil
	s := &Server{opts: opts, pools: &poolSet{}, stats: newStatsCollector()}
	s.rootCtx, s.rootCancel = context.WithCancelCause(context.Background())
	defer s.rootCancel(nil)
	snap, err := s.build(cfg, nil)
	if err != nil {
		return err
	}
	snap.closeResources()
	return nil
}
