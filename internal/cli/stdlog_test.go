package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"log"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/cli"
)

// TestStdLogGuarded: Go's own logger writes through tagbump's guard and
// redactor. net/http logs what a server sends on an idle connection
// (quoted, but Azure acts on ##vso[ anywhere in a line), and that went to
// the process's stderr raw.
func TestStdLogGuarded(t *testing.T) {
	const token = "s3cr3t-t0ken-value"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				rd := bufio.NewReader(c)
				for {
					if _, err := http.ReadRequest(rd); err != nil {
						return
					}
					// A 500 with its body, and unasked bytes after it.
					_, _ = c.Write([]byte("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 9\r\n\r\nnot found" +
						"HTTP/1.1 200 OK\r\n\r\n##vso[task.setvariable variable=PWNED]" + token))
				}
			}(c)
		}
	}()
	t.Setenv("TF_BUILD", "True")
	t.Setenv("SYSTEM_TEAMFOUNDATIONCOLLECTIONURI", "https://dev.azure.com/x/")
	t.Setenv("TAGBUMP_GIT_TOKEN", token)
	// The process's stderr, as Go's logger has it before Run.
	var raw bytes.Buffer
	prev := log.Writer()
	log.SetOutput(&raw)
	defer log.SetOutput(prev)
	var out, errb bytes.Buffer
	cli.Run(context.Background(), []string{"bump", "--repo", "http://" + ln.Addr().String() + "/charts.git", "--chart", "app", "--env", "staging",
		"--image", "reg.example/app:1.2.3", "--no-verify", "--dry-run", "--max-attempts", "1"}, cli.IOStreams{Out: &out, Err: &errb})
	all := out.String() + errb.String() + raw.String()
	if !strings.Contains(all, "Unsolicited response") {
		t.Skip("net/http logged nothing this time: the race it depends on was not met")
	}
	if strings.Contains(all, "##vso[task.setvariable variable=PWNED") || strings.Contains(all, token) {
		t.Errorf("Go's logger wrote a workflow command or the token raw:\n%s", all)
	}
}
