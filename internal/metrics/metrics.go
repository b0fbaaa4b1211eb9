// Package metrics holds mailmcp's Prometheus metrics: one registry, the
// instruments the HTTP server and the tool middleware feed, a collector that
// reads IMAP pool statistics at scrape time, and small setters that other
// parts of mailmcp (outbox, webhooks, watchers) call to publish their state.
//
// Every setter is safe for concurrent use and cheap; calling one when no
// HTTP server exposes /metrics costs a map lookup and an atomic store.
package metrics

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "mailmcp"

// Registry holds every mailmcp metric plus the Go runtime and process
// collectors. It is not prometheus.DefaultRegisterer, so libraries cannot
// add metrics behind our back.
var Registry = prometheus.NewRegistry()

// Outcomes of a tool call, the values of the "outcome" label.
const (
	OutcomeOK        = "ok"         // a result without isError
	OutcomeToolError = "tool_error" // a result with isError: the agent was told what went wrong
	OutcomeError     = "error"      // a Go error: a bug, surfaced as a JSON-RPC error
	OutcomeCancelled = "cancelled"  // the client cancelled or the deadline passed
)

var (
	toolCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "tool_calls_total",
		Help: "MCP tool calls by tool name and outcome (ok, tool_error, error, cancelled).",
	}, []string{"tool", "outcome"})
	toolDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "tool_call_duration_seconds",
		Help:    "Latency of MCP tool calls by tool name.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"tool"})
	httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "http_requests_total",
		Help: "HTTP requests by route and status code.",
	}, []string{"route", "code"})
	sessions = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "mcp_sessions",
		Help: "Open MCP sessions (streamable HTTP sessions plus SSE streams).",
	})
	outboxQueue = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "outbox_queue_size",
		Help: "Messages waiting in the outbox, by account.",
	}, []string{"account"})
	webhookQueue = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "webhook_queue_size",
		Help: "Webhook deliveries waiting to be sent, by target.",
	}, []string{"target"})
	watcherState = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "watcher_state",
		Help: "1 for the current state of each mailbox watcher (account, folder), 0 for the others.",
	}, []string{"account", "folder", "state"})
)

// WatcherStates are the values of the watcher_state "state" label.
var WatcherStates = []string{"starting", "idle", "polling", "reconnecting", "stopped", "failed"}

func init() {
	Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		toolCalls, toolDuration, httpRequests, sessions, outboxQueue, webhookQueue, watcherState, pools, indexCollector{},
	)
}

// Handler serves the registry in the Prometheus text format.
func Handler() http.Handler {
	return promhttp.HandlerFor(Registry, promhttp.HandlerOpts{Registry: Registry})
}

// ObserveToolCall records one finished tool call.
func ObserveToolCall(tool, outcome string, d time.Duration) {
	toolCalls.WithLabelValues(tool, outcome).Inc()
	toolDuration.WithLabelValues(tool).Observe(d.Seconds())
}

// ObserveHTTPRequest records one HTTP request. route is the fixed path
// pattern (never a raw URL, which could carry ids or tokens).
func ObserveHTTPRequest(route string, code int) {
	httpRequests.WithLabelValues(route, statusText(code)).Inc()
}

// AddSessions moves the open-session gauge by delta (+1 on open, -1 on close).
func AddSessions(delta int) { sessions.Add(float64(delta)) }

// SetOutboxQueue publishes how many messages account's outbox holds.
func SetOutboxQueue(account string, n int) { outboxQueue.WithLabelValues(account).Set(float64(n)) }

// SetWebhookQueue publishes how many deliveries wait for target (a name
// such as "openclaw", never a URL with credentials).
func SetWebhookQueue(target string, n int) { webhookQueue.WithLabelValues(target).Set(float64(n)) }

// SetWatcherState marks the watcher of account/folder as being in state
// (one of WatcherStates; other values are recorded as given).
func SetWatcherState(account, folder, state string) {
	for _, s := range WatcherStates {
		v := 0.0
		if s == state {
			v = 1
		}
		watcherState.WithLabelValues(account, folder, s).Set(v)
	}
	if !slices.Contains(WatcherStates, state) {
		watcherState.WithLabelValues(account, folder, state).Set(1)
	}
}

// ForgetWatcher removes a watcher's series, e.g. when its folder is no
// longer watched.
func ForgetWatcher(account, folder string) {
	watcherState.DeletePartialMatch(prometheus.Labels{"account": account, "folder": folder})
}

func statusText(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return strconv.Itoa(code)
}
