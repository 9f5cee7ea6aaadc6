// Package hcsprom exports the statistics of the compute systems of a Windows
// Host Compute Service (HCS) as Prometheus metrics.
//
// [NewCollector] returns a [prometheus.Collector]. Each scrape lists the
// compute systems (all, or those a [WithQuery] selects), then opens each
// running or paused one, reads its statistics and closes it, a few systems
// at a time ([WithConcurrency], default 8), all within a per-scrape timeout
// ([WithTimeout], default 10 s). It keeps no handle open between scrapes.
// A system that vanishes, stops or denies access while it is scraped is
// left out of that scrape: systems come and go, and that is not an error.
// Other failures are counted in hcs_scrape_errors_total. The collector
// works with any [hcs.Host]: [hcs.Local] on Windows, or a simulated one from
// package hcssim to test dashboards and alerts anywhere.
//
// # Metrics
//
// The metrics of a compute system carry the labels id (the system's
// identifier) and owner (the owner it was created with, such as
// "docker" or "containerd-shim-runhcs-v1.exe"). Times are in seconds and
// sizes in bytes; counters end in _total and count from the start of the
// system (the network counters from when the endpoint was attached), so
// they reset when it restarts.
//
//	hcs_system_cpu_seconds_total{mode}                            counter  processor time, mode "user" or "kernel"
//	hcs_system_memory_commit_bytes                                gauge    committed memory
//	hcs_system_memory_commit_peak_bytes                           gauge    peak committed memory
//	hcs_system_memory_private_working_set_bytes                   gauge    private working set
//	hcs_system_storage_read_bytes_total                           counter  bytes read
//	hcs_system_storage_write_bytes_total                          counter  bytes written
//	hcs_system_storage_reads_total                                counter  read operations (ReadCountNormalized)
//	hcs_system_storage_writes_total                               counter  write operations (WriteCountNormalized)
//	hcs_system_network_receive_bytes_total{interface}             counter  bytes received
//	hcs_system_network_transmit_bytes_total{interface}            counter  bytes sent
//	hcs_system_network_receive_packets_total{interface}           counter  packets received
//	hcs_system_network_transmit_packets_total{interface}          counter  packets sent
//	hcs_system_network_receive_packets_dropped_total{interface}   counter  incoming packets dropped
//	hcs_system_network_transmit_packets_dropped_total{interface}  counter  outgoing packets dropped
//	hcs_system_uptime_seconds                                     gauge    time since the system started
//	hcs_system_info{type,runtime_os}                              gauge    1 for every system, type "Container" or "VirtualMachine", runtime_os its RuntimeOsType ("Windows", "Linux")
//	hcs_system_state{state}                                       gauge    1 for the current state, 0 for the others
//
// The network metrics have one series per network endpoint of the system
// in its statistics (the Network array), the interface label holding the
// endpoint's GUID in upper case, as windows_exporter writes it. An
// endpoint's series appear and disappear with it, and its counters count
// from when it was attached. The drop counters are sent only when HCS
// reports them.
//
// hcs_system_info and hcs_system_state are reported for every system listed
// (except those that vanish during the scrape); the statistics only for the
// systems HCS has statistics for, running or paused, and only the members
// HCS returned. hcs_system_state has one series per state of the schema
// (Created, Running, Paused, Stopped, SavedAsTemplate, Unknown), so that a
// state change does not leave a stale series behind.
//
// Two metrics describe the scrape itself:
//
//	hcs_scrape_errors_total{op}                                   counter  errors, op "list", "open", "statistics" or "timeout"
//	hcs_scrape_duration_seconds                                   gauge    duration of the scrape
//
// A scrape that reaches its timeout counts one "timeout" error and reports
// the systems it has not reached by hcs_system_info and hcs_system_state
// only.
//
// Useful queries: processor use of each system in cores,
// sum by (id) (rate(hcs_system_cpu_seconds_total[1m])); storage throughput,
// rate(hcs_system_storage_read_bytes_total[1m]); systems per state,
// sum by (state) (hcs_system_state); names, owners and types joined onto
// any metric with * on (id) group_left(type) hcs_system_info.
//
// # Differences from windows_exporter
//
// The container collector of prometheus-community/windows_exporter reads the
// same HCS statistics. This package differs:
//
//   - Systems: it reports every compute system, containers and virtual
//     machines (hcs_system_info's type says which); windows_exporter asks
//     for containers only.
//   - Names: hcs_system_* with the id and owner labels, instead of
//     windows_container_* with a container_id label prefixed with docker://
//     or containerd:// guessed from the owner (and, in recent versions,
//     Kubernetes namespace, pod and container labels read from the CRI,
//     which this package does not read).
//   - Processor time: one counter, hcs_system_cpu_seconds_total, with a mode
//     label, in place of the three counters windows_container_cpu_usage_
//     seconds_total, _usermode and _kernelmode (the last two lacking the
//     _total suffix of counters); the total is sum without (mode).
//   - Storage: hcs_system_storage_{read,write}_bytes_total and
//     hcs_system_storage_{reads,writes}_total, for windows_exporter's
//     windows_container_storage_{read,write}_size_bytes_total and
//     _{read,write}_count_normalized_total.
//   - Memory: the same three gauges under shorter names
//     (hcs_system_memory_commit_bytes for
//     windows_container_memory_usage_commit_bytes, ...).
//   - Added: hcs_system_uptime_seconds, hcs_system_info, hcs_system_state
//     (stopped and created systems are reported too), and the scrape
//     metrics. windows_exporter's windows_container_available (a counter
//     always 1) and windows_container_count are covered by hcs_system_info:
//     count(hcs_system_info).
//   - Network: the names and the interface label of windows_exporter's
//     container network metrics, under hcs_system_ instead of
//     windows_container_ (hcs_system_network_receive_bytes_total for
//     windows_container_network_receive_bytes_total, ...). windows_exporter
//     reads the counters from the Host Networking Service (HNS), because
//     the statistics of containers created with schema 2 may carry an
//     empty Network array (its commit 9adefdce, 2023; reported by others,
//     not documented). This package reads HCS only: where HCS reports no
//     endpoint, it exports no network series.
//   - Behaviour: systems are queried concurrently, with a bound and a
//     per-scrape timeout, where windows_exporter queries them one after the
//     other; systems that vanish, stop or deny access mid-scrape are
//     skipped silently (windows_exporter skips only those not found), and
//     other errors are counted in a metric rather than failing the
//     collector; only the members HCS returned are exported, where
//     windows_exporter exports zeros for missing ones.
package hcsprom
