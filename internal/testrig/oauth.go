package testrig

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"time"
)

// oauthServer is the RFC 7662 token-introspection endpoint Dovecot's oauth2
// passdb calls (introspection_mode = post). It runs in the process that
// started the stack.
type oauthServer struct {
	srv *http.Server
	ln  net.Listener
	url string
}

func startOAuthServer(host string, lookup func(token string) (string, error)) (*oauthServer, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, fmt.Errorf("start oauth endpoint: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/introspect", func(w http.ResponseWriter, r *http.Request) {
		introspect(w, r, lookup)
	})
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	o := &oauthServer{
		srv: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      10 * time.Second,
			IdleTimeout:       time.Minute,
			ErrorLog:          log.New(discard{}, "", 0),
		},
		ln:  ln,
		url: "http://" + ln.Addr().String() + "/introspect",
	}
	go func() {
		if err := o.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Printf("testrig: oauth endpoint: %v", err)
		}
	}()
	return o, nil
}

// introspect answers {"active": true, "username": ...} for a known token and
// {"active": false} otherwise. The token comes as the form field "token"
// (RFC 7662 POST), the query parameter "token", or an Authorization header.
func introspect(w http.ResponseWriter, r *http.Request, lookup func(string) (string, error)) {
	token := r.FormValue("token")
	if h := r.Header.Get("Authorization"); token == "" && strings.HasPrefix(h, "Bearer ") {
		token = strings.TrimPrefix(h, "Bearer ")
	}
	user, err := lookup(token)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	resp := map[string]any{"active": false}
	if user != "" {
		resp = map[string]any{
			"active":   true,
			"username": user,
			"email":    user,
			"scope":    "mail",
			"exp":      time.Now().Add(time.Hour).Unix(),
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func (o *oauthServer) close() error {
	if o == nil {
		return nil
	}
	return o.srv.Close()
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
