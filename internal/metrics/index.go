package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// IndexStats is one account's local index, read at scrape time.
type IndexStats struct {
	Bytes      int64   // on disk
	Messages   int     // indexed
	LagSeconds float64 // since the oldest folder's last finished sync (-1: never synced)
}

// IndexSource returns every account's index statistics by account id.
type IndexSource func() map[string]IndexStats

var indexSource atomic.Pointer[IndexSource]

// SetIndexSource makes /metrics read index statistics from fn (nil stops).
func SetIndexSource(fn IndexSource) {
	if fn == nil {
		indexSource.Store(nil)
		return
	}
	indexSource.Store(&fn)
}

var (
	indexBytes = prometheus.NewDesc(namespace+"_index_bytes",
		"Size on disk of an account's local mail index.", []string{"account"}, nil)
	indexMessages = prometheus.NewDesc(namespace+"_index_messages",
		"Messages in an account's local mail index.", []string{"account"}, nil)
	indexLag = prometheus.NewDesc(namespace+"_index_lag_seconds",
		"Seconds since the local index last finished syncing its least recent folder (-1: never).", []string{"account"}, nil)
)

type indexCollector struct{}

func (indexCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- indexBytes
	ch <- indexMessages
	ch <- indexLag
}

func (indexCollector) Collect(ch chan<- prometheus.Metric) {
	src := indexSource.Load()
	if src == nil {
		return
	}
	for id, s := range (*src)() {
		ch <- prometheus.MustNewConstMetric(indexBytes, prometheus.GaugeValue, float64(s.Bytes), id)
		ch <- prometheus.MustNewConstMetric(indexMessages, prometheus.GaugeValue, float64(s.Messages), id)
		ch <- prometheus.MustNewConstMetric(indexLag, prometheus.GaugeValue, s.LagSeconds, id)
	}
}
