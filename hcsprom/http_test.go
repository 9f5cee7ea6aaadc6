package hcsprom_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/gohcs/hcs/hcsprom"
	"github.com/gohcs/hcs/hcssim"
	"github.com/gohcs/hcs/schema"
)

// TestHTTPScrape serves /metrics through promhttp on an HTTP server, scrapes
// it as Prometheus does and parses the exposition back.
func TestHTTPScrape(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Date(2026, 4, 21, 12, 0, 0, 0, time.UTC)
	now := start
	sim := hcssim.New(hcssim.WithClock(func() time.Time { return now }))
	defer sim.Close()
	host := sim.Host()
	for i, owner := range []string{"docker", "docker", "containerd-shim-runhcs-v1.exe"} {
		sys, err := host.CreateSystem(ctx, fmt.Sprintf("c%d", i), fmt.Sprintf(`{"Owner":%q,"Container":{}}`, owner))
		if err != nil {
			t.Fatal(err)
		}
		err = sys.Start(ctx)
		sys.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	now = start.Add(40 * time.Second) // before the first scrape: no race with the simulator

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(hcsprom.NewCollector(host, hcsprom.WithQuery(&schema.SystemQuery{Owners: []string{"docker"}})))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}))
	defer srv.Close()

	req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	if got := expfmt.ResponseFormat(resp.Header); got.FormatType() != expfmt.TypeTextPlain {
		t.Errorf("Content-Type %q: not the text format", resp.Header.Get("Content-Type"))
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}

	// value returns the value of the sample of name with the labels.
	value := func(name string, labels map[string]string) (float64, bool) {
		mf := mfs[name]
	metrics:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue metrics
				}
			}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				return m.GetCounter().GetValue(), true
			case dto.MetricType_GAUGE:
				return m.GetGauge().GetValue(), true
			default:
				return m.GetUntyped().GetValue(), true
			}
		}
		return 0, false
	}
	for _, tt := range []struct {
		name   string
		typ    dto.MetricType
		labels map[string]string
		want   float64
	}{
		// 40 s of running: a quarter of it on the processor, two thirds of
		// that in user mode (see package hcssim).
		{"hcs_system_cpu_seconds_total", dto.MetricType_COUNTER, map[string]string{"id": "c0", "owner": "docker", "mode": "user"}, 10 * 2 / 3.0},
		{"hcs_system_cpu_seconds_total", dto.MetricType_COUNTER, map[string]string{"id": "c1", "owner": "docker", "mode": "kernel"}, 10 / 3.0},
		{"hcs_system_uptime_seconds", dto.MetricType_GAUGE, map[string]string{"id": "c1"}, 40},
		{"hcs_system_storage_reads_total", dto.MetricType_COUNTER, map[string]string{"id": "c0"}, 4000},
		{"hcs_system_storage_write_bytes_total", dto.MetricType_COUNTER, map[string]string{"id": "c0"}, 2000 * 4096},
		{"hcs_system_memory_private_working_set_bytes", dto.MetricType_GAUGE, map[string]string{"id": "c0"}, 192 << 20},
		{"hcs_system_info", dto.MetricType_GAUGE, map[string]string{"id": "c0", "owner": "docker", "type": "Container"}, 1},
		{"hcs_system_state", dto.MetricType_GAUGE, map[string]string{"id": "c0", "state": "Running"}, 1},
		{"hcs_system_state", dto.MetricType_GAUGE, map[string]string{"id": "c0", "state": "Stopped"}, 0},
		{"hcs_scrape_errors_total", dto.MetricType_COUNTER, map[string]string{"op": "statistics"}, 0},
	} {
		if got := mfs[tt.name].GetType(); got != tt.typ {
			t.Errorf("%s is a %v, want a %v", tt.name, got, tt.typ)
		}
		got, ok := value(tt.name, tt.labels)
		if !ok {
			t.Errorf("%s%v missing", tt.name, tt.labels)
			continue
		}
		if diff := got - tt.want; diff > 1e-6 || diff < -1e-6 {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
	if _, ok := value("hcs_system_info", map[string]string{"id": "c2"}); ok {
		t.Error("system of another owner exported")
	}
	if n := len(mfs["hcs_system_info"].GetMetric()); n != 2 {
		t.Errorf("%d systems exported, want 2", n)
	}
	if _, ok := value("hcs_scrape_duration_seconds", nil); !ok {
		t.Error("hcs_scrape_duration_seconds missing")
	}
	if n := sim.LiveHandles(); n != 0 {
		t.Errorf("%d handles left open after the scrape", n)
	}
}
