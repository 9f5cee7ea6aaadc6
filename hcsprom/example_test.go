package hcsprom_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gohcs/hcs/hcsprom"
	"github.com/gohcs/hcs/hcssim"
)

// An exporter registers the collector and serves /metrics. A real one uses
// hcs.Local() and http.ListenAndServe(":9189", mux); this one scrapes a
// simulated host through a test server, with a frozen clock.
func ExampleNewCollector() {
	ctx := context.Background()
	now := time.Date(2026, 4, 21, 12, 0, 0, 0, time.UTC)
	sim := hcssim.New(hcssim.WithClock(func() time.Time { return now }))
	defer sim.Close()
	host := sim.Host() // hcs.Local() on Windows

	sys, err := host.CreateSystem(ctx, "web", `{"Owner":"docker","Container":{}}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = sys.Start(ctx)
	sys.Close()
	if err != nil {
		fmt.Println(err)
		return
	}
	now = now.Add(time.Minute)

	reg := prometheus.NewRegistry()
	reg.MustRegister(hcsprom.NewCollector(host,
		hcsprom.WithConcurrency(16),
		hcsprom.WithTimeout(5*time.Second),
	))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL + "/metrics") // http.Get in a real scraper
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		line := lines.Text()
		if strings.HasPrefix(line, "hcs_system_") && !strings.HasPrefix(line, "hcs_system_state") {
			fmt.Println(line)
		}
	}
	// Output:
	// hcs_system_cpu_seconds_total{id="web",mode="kernel",owner="docker"} 5
	// hcs_system_cpu_seconds_total{id="web",mode="user",owner="docker"} 10
	// hcs_system_info{id="web",owner="docker",runtime_os="Windows",type="Container"} 1
	// hcs_system_memory_commit_bytes{id="web",owner="docker"} 2.68435456e+08
	// hcs_system_memory_commit_peak_bytes{id="web",owner="docker"} 3.145728e+08
	// hcs_system_memory_private_working_set_bytes{id="web",owner="docker"} 2.01326592e+08
	// hcs_system_network_receive_bytes_total{id="web",interface="0187F23C-6513-5472-897C-475428B56E2F",owner="docker"} 1.2288e+07
	// hcs_system_network_receive_packets_dropped_total{id="web",interface="0187F23C-6513-5472-897C-475428B56E2F",owner="docker"} 6
	// hcs_system_network_receive_packets_total{id="web",interface="0187F23C-6513-5472-897C-475428B56E2F",owner="docker"} 12000
	// hcs_system_network_transmit_bytes_total{id="web",interface="0187F23C-6513-5472-897C-475428B56E2F",owner="docker"} 3.072e+06
	// hcs_system_network_transmit_packets_dropped_total{id="web",interface="0187F23C-6513-5472-897C-475428B56E2F",owner="docker"} 0
	// hcs_system_network_transmit_packets_total{id="web",interface="0187F23C-6513-5472-897C-475428B56E2F",owner="docker"} 6000
	// hcs_system_storage_read_bytes_total{id="web",owner="docker"} 2.4576e+07
	// hcs_system_storage_reads_total{id="web",owner="docker"} 6000
	// hcs_system_storage_write_bytes_total{id="web",owner="docker"} 1.2288e+07
	// hcs_system_storage_writes_total{id="web",owner="docker"} 3000
	// hcs_system_uptime_seconds{id="web",owner="docker"} 60
}
