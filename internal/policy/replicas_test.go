package policy

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/mailmcp/mailmcp/internal/store"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

func TestMain(m *testing.M) { testrig.Main(m) }

// replicaStores opens n stores on one fresh PostgreSQL database: n
// replicas of one deployment.
func replicaStores(t *testing.T, n int) []store.Store {
	t.Helper()
	url := testrig.RequirePostgres(t)
	var out []store.Store
	for range n {
		p, err := store.OpenPostgres(context.Background(), url, store.PostgresOptions{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		out = append(out, p)
	}
	return out
}

// TestCapsAcrossReplicas: 30 sends at once spread over three replicas under
// a cap of 5 an hour: exactly 5 go.
func TestCapsAcrossReplicas(t *testing.T) {
	var ledgers []*Ledger
	for _, st := range replicaStores(t, 3) {
		ledgers = append(ledgers, NewLedger(st))
	}
	caps := Caps{PerHour: 5, PerDay: 100}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, capped := 0, 0
	for i := range 30 {
		wg.Go(func() {
			_, err := ledgers[i%3].Reserve(context.Background(), "a", caps, []string{"pat@example.org"})
			mu.Lock()
			defer mu.Unlock()
			var ce *CapError
			switch {
			case err == nil:
				ok++
			case errors.As(err, &ce):
				capped++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok != 5 || capped != 25 {
		t.Fatalf("30 sends on three replicas under 5/hour: %d allowed, %d capped", ok, capped)
	}
}

// TestConfirmationAcrossReplicas: one confirmation token redeemed on two
// replicas at the same moment, twenty times: each token is redeemed once.
func TestConfirmationAcrossReplicas(t *testing.T) {
	sts := replicaStores(t, 2)
	a, b := NewConfirmations(sts[0], 0), NewConfirmations(sts[1], 0)
	ctx := context.Background()
	for range 20 {
		tok, _, err := a.Issue(ctx, Pending{Account: "a", Tool: "send_email", Hash: HashMessage([]byte("m"))})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		start := make(chan struct{})
		for _, c := range []*Confirmations{a, b} {
			wg.Go(func() {
				<-start
				_, err := c.Redeem(ctx, tok)
				switch {
				case err == nil:
					mu.Lock()
					wins++
					mu.Unlock()
				case !errors.Is(err, ErrTokenUnknown):
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()
		if wins != 1 {
			t.Fatalf("token redeemed %d times", wins)
		}
	}
}
