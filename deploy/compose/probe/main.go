// Command probe is the health check of the service images, which have no shell
// and no curl: `probe http://HOST:PORT/PATH` exits 0 when the path answers 2xx.
// It speaks plain HTTP/1.0 over a socket rather than using net/http, which
// would triple its size in every image.
package main

import (
	"bufio"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: probe http://HOST:PORT/PATH")
		os.Exit(2)
	}
	if err := check(os.Args[1], 2*time.Second); err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
}

// check GETs rawURL and wants a 2xx status.
func check(rawURL string, timeout time.Duration) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "http" || u.Port() == "" {
		return fmt.Errorf("%q: want http://HOST:PORT/PATH", rawURL)
	}
	conn, err := net.DialTimeout("tcp", u.Host, timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", u.RequestURI(), u.Host); err != nil {
		return err
	}
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("%s: reading the answer: %w", rawURL, err)
	}
	// "HTTP/1.1 200 OK"
	if f := strings.Fields(status); len(f) < 2 || len(f[1]) != 3 || f[1][0] != '2' {
		return fmt.Errorf("%s: %s", rawURL, strings.TrimSpace(status))
	}
	return nil
}
