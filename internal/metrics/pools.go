package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// PoolStats is one account's IMAP pool snapshot, read at scrape time.
type PoolStats struct {
	Open, Idle                       int // connections now
	Dials, Reuses, Retries, Discards int // counters since start
	Waits                            int // acquisitions that had to wait for a free connection (0 when unknown)
}

// PoolSource returns the current statistics of every account's pool, keyed
// by account id.
type PoolSource func() map[string]PoolStats

var poolSource atomic.Pointer[PoolSource]

// SetPoolSource makes /metrics read pool statistics from fn (nil stops it).
// The serving engine calls it once; a later call replaces the source.
func SetPoolSource(fn PoolSource) {
	if fn == nil {
		poolSource.Store(nil)
		return
	}
	poolSource.Store(&fn)
}

var pools = poolCollector{}

type poolCollector struct{}

var (
	poolConns = prometheus.NewDesc(namespace+"_imap_connections",
		"IMAP connections of an account's pool, by state (open includes idle).", []string{"account", "state"}, nil)
	poolDials = prometheus.NewDesc(namespace+"_imap_dials_total",
		"IMAP connections opened (TCP, TLS and login) by account.", []string{"account"}, nil)
	poolReuses = prometheus.NewDesc(namespace+"_imap_reuses_total",
		"Operations served by an already open IMAP connection, by account.", []string{"account"}, nil)
	poolRetries = prometheus.NewDesc(namespace+"_imap_retries_total",
		"Idempotent operations retried on a fresh connection after a drop, by account.", []string{"account"}, nil)
	poolDiscards = prometheus.NewDesc(namespace+"_imap_discards_total",
		"IMAP connections closed because they were broken or too old, by account.", []string{"account"}, nil)
	poolWaits = prometheus.NewDesc(namespace+"_imap_pool_waits_total",
		"Operations that waited for a free IMAP connection, by account.", []string{"account"}, nil)
)

func (poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolConns, poolDials, poolReuses, poolRetries, poolDiscards, poolWaits} {
		ch <- d
	}
}

func (poolCollector) Collect(ch chan<- prometheus.Metric) {
	src := poolSource.Load()
	if src == nil {
		return
	}
	for id, s := range (*src)() {
		ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.Open), id, "open")
		ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.Idle), id, "idle")
		ch <- prometheus.MustNewConstMetric(poolDials, prometheus.CounterValue, float64(s.Dials), id)
		ch <- prometheus.MustNewConstMetric(poolReuses, prometheus.CounterValue, float64(s.Reuses), id)
		ch <- prometheus.MustNewConstMetric(poolRetries, prometheus.CounterValue, float64(s.Retries), id)
		ch <- prometheus.MustNewConstMetric(poolDiscards, prometheus.CounterValue, float64(s.Discards), id)
		ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(s.Waits), id)
	}
}
