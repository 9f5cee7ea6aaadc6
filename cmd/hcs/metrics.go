package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/gohcs/hcs/hcsprom"
	"github.com/gohcs/hcs/schema"
)

func (a *app) metricsCommand() *cobra.Command {
	var (
		listen      string
		owners      []string
		concurrency int
	)
	cmd := &cobra.Command{
		Use:   "metrics",
		Short: "Serve Prometheus metrics of the compute systems",
		Long: `Serve the statistics of the compute systems as Prometheus metrics on
http://LISTEN/metrics until Ctrl-C (package hcsprom; see its README for the
metrics). Each scrape lists the systems and reads the statistics of the
running and paused ones, --concurrency at a time (at least 1), within
--scrape-timeout (positive; keep it below Prometheus's scrape_timeout, so
that a slow HCS gives a partial scrape rather than none).`,
		Example: `  hcs metrics --listen :9189
  hcs metrics --listen 127.0.0.1:9189 --owner docker`,
		Args: cobra.NoArgs,
	}
	cmd.Flags().StringVar(&listen, "listen", ":9189", "address to serve /metrics on")
	cmd.Flags().StringSliceVar(&owners, "owner", nil, "only the systems of this owner")
	cmd.Flags().IntVar(&concurrency, "concurrency", hcsprom.DefaultConcurrency, "systems a scrape queries at once")
	timeout := durationFlag(cmd, "scrape-timeout", "", hcsprom.DefaultTimeout, "how long a scrape may take")
	cmd.RunE = a.runE(func(cmd *cobra.Command, _ []string) error {
		if concurrency < 1 {
			return &usageError{"--concurrency must be at least 1"}
		}
		if *timeout <= 0 {
			return &usageError{"--scrape-timeout must be positive"}
		}
		ctx := cmd.Context()
		s, err := a.open(ctx, readState)
		if err != nil {
			return err
		}
		a.follow(ctx)
		reg := prometheus.NewRegistry()
		reg.MustRegister(hcsprom.NewCollector(s.host,
			hcsprom.WithQuery(&schema.SystemQuery{Owners: owners}),
			hcsprom.WithConcurrency(concurrency),
			hcsprom.WithTimeout(*timeout)))
		return a.serveMetrics(ctx, listen, reg)
	})
	return cmd
}

// serveMetrics serves reg's metrics on addr until ctx ends.
func (a *app) serveMetrics(ctx context.Context, addr string, reg *prometheus.Registry) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		// One scrape at a time: each one queries every system, and
		// concurrent scrapes would multiply the calls to HCS.
		MaxRequestsInFlight: 1,
	}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(a.stderr, "hcs metrics: serving http://%s/metrics\n", ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
