package index

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestTwoProcesses runs two processes on one index: the first to open it
// writes batches of 50 messages, the other reads throughout. Every read sees
// whole batches (a consistent snapshot), and the file passes its integrity
// check afterwards.
func TestTwoProcesses(t *testing.T) {
	if os.Getenv("INDEX_CHILD") != "" {
		child(os.Getenv("INDEX_CHILD"))
		return
	}
	path := filepath.Join(t.TempDir(), "a.db")
	var cmds []*exec.Cmd
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTwoProcesses$")
		cmd.Env = append(os.Environ(), "INDEX_CHILD="+path)
		cmds = append(cmds, cmd)
	}
	outs := make([]chan string, 2)
	for i, cmd := range cmds {
		outs[i] = make(chan string, 1)
		go func() {
			b, err := cmd.CombinedOutput()
			outs[i] <- fmt.Sprintf("%s (err %v)", b, err)
		}()
	}
	for i := range cmds {
		out := <-outs[i]
		if cmds[i].ProcessState == nil || !cmds[i].ProcessState.Success() {
			t.Fatalf("process %d: %s", i, out)
		}
		t.Logf("process %d: %s", i, out)
	}
	ix := openTest(t, path)
	r, err := ix.Search(context.Background(), Query{Folders: []string{"INBOX"}})
	if err != nil || r.Total != 500 {
		t.Fatalf("after both: %v %v", r, err)
	}
}

func child(path string) {
	ctx := context.Background()
	var ix *Index
	var err error
	deadline := time.Now().Add(20 * time.Second)
	for {
		// The reader may start before the writer created the file.
		if ix, err = Open(ctx, path, nil); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	defer ix.Close()
	t := &testing.T{}
	if ix.Writer() {
		if _, err := ix.SetFolder(ctx, "INBOX", 7); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		for b := range 10 {
			var ms []*Message
			for i := 1; i <= 50; i++ {
				uid := uint32(b*50 + i)
				ms = append(ms, testMessage(t, "INBOX", 7, uid, fmt.Sprintf("Message %d", uid), "body"))
			}
			if err := ix.Put(ctx, ms); err != nil {
				fmt.Println(err)
				os.Exit(1)
			}
			time.Sleep(20 * time.Millisecond)
		}
		fmt.Println("writer done")
		return
	}
	reads := 0
	for time.Now().Before(deadline) {
		r, err := ix.Search(ctx, Query{Folders: []string{"INBOX"}, Subject: "Message"})
		if err != nil {
			fmt.Println("read:", err)
			os.Exit(1)
		}
		reads++
		if r.Total%50 != 0 {
			fmt.Println("read a partial batch:", r.Total)
			os.Exit(1)
		}
		if r.Total == 500 {
			break
		}
	}
	fmt.Println("reader done after", reads, "reads")
}
