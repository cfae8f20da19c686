// Package s3test starts a real S3-compatible server for tests: SeaweedFS's weed, built
// once from its Go module into the user's cache directory and started per test package
// on free ports, with access keys so requests are really signed and checked.
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/heraldhq/herald/adapters/storage/s3"
	"github.com/heraldhq/herald/adapters/testbin"
)

// Module and Version name the SeaweedFS source weed is built from: the module proxy
// serves only this pseudo-version, and `go install` refuses the module for its replace
// directives, so it is built from the module cache instead.
const (
	Module  = "github.com/seaweedfs/seaweedfs"
	Version = "v0.0.0-20261109003541-7506e5f91cd6"
)

// BinaryEnv names a variable that may point at a weed binary built elsewhere (a CI
// cache), to skip the build.
const BinaryEnv = "HERALD_TEST_WEED"

// StartTimeout bounds the wait for the server to store a first object: generous, for a
// loaded 2-core machine.
const StartTimeout = 2 * time.Minute

// Server is a running weed with its S3 gateway.
type Server struct {
	// Config reaches the server's bucket with valid keys; change Bucket or SecretKey to
	// test the failures.
	Config s3.Config
	// Started is how long the server took from exec to storing a first object.
	Started time.Duration
	pid     int
}

// PeakRSS returns the most memory the server has held so far in bytes (VmHWM), or 0
// where /proc cannot tell.
func (s *Server) PeakRSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// Start builds weed when the cache does not have it yet, starts `weed server -s3` with
// its data in a temporary directory, waits until the gateway stores an object, creates
// a bucket, and stops the server when the test ends. It fails the test when weed cannot
// be built or started.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	access, secret := "herald-test", randomHex(t, 20)
	identities := map[string]any{"identities": []any{map[string]any{
		"name":        "herald",
		"credentials": []any{map[string]string{"accessKey": access, "secretKey": secret}},
		"actions":     []string{"Admin", "Read", "List", "Tagging", "Write"},
	}}}
	confFile := filepath.Join(dir, "s3.json")
	conf, _ := json.Marshal(identities)
	if err := os.WriteFile(confFile, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	ports := testbin.FreePorts(t, 8)
	args := []string{"server", "-s3", "-dir", data, "-ip", "127.0.0.1", "-ip.bind", "127.0.0.1",
		"-master.port", ports[0], "-master.port.grpc", ports[1],
		"-volume.port", ports[2], "-volume.port.grpc", ports[3],
		"-filer.port", ports[4], "-filer.port.grpc", ports[5],
		"-s3.port", ports[6], "-s3.port.grpc", ports[7],
		"-filer.localSocket", filepath.Join(dir, "filer.sock"), "-s3.localSocket", filepath.Join(dir, "s3.sock"),
		"-s3.config", confFile, "-s3.autoCreateBucket=false",
		"-s3.port.iceberg", "0", "-s3.port.lance", "0",
		// Small volumes keep disk and memory low; 0 lets weed make as many as the disk holds.
		"-master.volumeSizeLimitMB", "64", "-volume.max", "0",
		"-master.telemetry=false",
		// One master has no peer to wait for: elect it at once rather than after 10s.
		"-master.electionTimeout", "1s",
	}
	logFile, err := os.Create(filepath.Join(dir, "weed.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir // weed reads optional *.toml files from its working directory
	cmd.Stdout, cmd.Stderr = logFile, logFile
	began := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logFile.Close() }()
	srv := &Server{pid: cmd.Process.Pid}
	t.Cleanup(func() {
		// The data is thrown away with the test, so there is nothing to shut down
		// gracefully (weed takes some 25 seconds to). Its gRPC sockets are in /tmp,
		// named by port, and are left behind by a kill.
		_ = cmd.Process.Kill()
		<-exited
		for i, name := range []string{"master", "volume", "filer", "s3"} {
			_ = os.Remove(fmt.Sprintf("/tmp/seaweedfs-%s-grpc-%s.sock", name, ports[2*i+1]))
		}
	})

	srv.Config = s3.Config{
		Endpoint: "http://127.0.0.1:" + ports[6], Bucket: "herald-test", Region: "us-east-1",
		AccessKey: access, SecretKey: secret, PathStyle: true,
	}
	if err := waitReady(srv.Config, exited); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "weed.log"))
		if len(log) > 8000 {
			log = log[len(log)-8000:]
		}
		t.Fatalf("weed did not serve S3 within %s: %v\nweed's log ends with:\n%s", StartTimeout, err, log)
	}
	srv.Started = time.Since(began)
	return srv
}

// waitReady creates the bucket and stores and removes an object, retrying until weed
// has elected its master, registered its volume server and started its filer.
func waitReady(cfg s3.Config, exited <-chan error) error {
	u := strings.TrimPrefix(cfg.Endpoint, "http://")
	client, err := minio.New(u, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""), Region: cfg.Region, BucketLookup: minio.BucketLookupPath})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	var last error
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("weed exited: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("last attempt: %v", last)
		case <-time.After(200 * time.Millisecond):
		}
		if last = probe(ctx, client, cfg.Bucket); last == nil {
			return nil
		}
	}
}

func probe(ctx context.Context, client *minio.Client, bucket string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ok, err := client.BucketExists(ctx, bucket)
	if err != nil {
		return err
	}
	if !ok {
		if err := client.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
			return err
		}
	}
	if _, err := client.PutObject(ctx, bucket, "probe", bytes.NewReader([]byte("ready")), 5, minio.PutObjectOptions{}); err != nil {
		return err
	}
	return client.RemoveObject(ctx, bucket, "probe", minio.RemoveObjectOptions{})
}

// Tool is weed, built from Module at Version into <user cache>/herald/seaweedfs-<Version>, or
// the binary $HERALD_TEST_... (BinaryEnv) names.
var Tool = testbin.Tool{Name: "weed", Module: Module, Version: Version, Package: "./weed", Env: BinaryEnv, Dir: "seaweedfs-" + Version}

// Binary returns the path of the weed binary (Tool), built first when missing.
func Binary(t testing.TB) string {
	t.Helper()
	return Tool.Binary(t)
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
