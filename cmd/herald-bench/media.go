package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// mediaOptions are the flags of `herald-bench media`.
type mediaOptions struct {
	VideoMB  int
	Images   int
	Chunk    int64
	Parallel int
	Herald   string
	MediaDir string
}

// mediaCmd runs `herald-bench media`: a 200 MB video through the resumable upload API and
// 100 images through POST /media at the same time, against Herald started as a process
// of its own so its memory is measured alone. See BENCHMARKS.md.
func mediaCmd(ctx context.Context, cfg config, log *slog.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("media", flag.ContinueOnError)
	fs.SetOutput(out)
	var o mediaOptions
	var chunkMB int
	fs.IntVar(&o.VideoMB, "video-mb", 200, "size of the generated MP4 in MiB (about)")
	fs.IntVar(&o.Images, "images", 100, "JPEGs of about 1.7 MB uploaded through POST /media")
	fs.IntVar(&chunkMB, "chunk-mb", 8, "size of the video's tus parts in MiB")
	fs.IntVar(&o.Parallel, "parallel", 8, "images uploaded at once")
	fs.StringVar(&o.Herald, "herald", "", "the herald binary to run (default: built from this repository)")
	fs.StringVar(&o.MediaDir, "media-dir", "", "where the generated files are kept between runs (default: a temporary folder)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.Chunk = int64(chunkMB) << 20
	if o.VideoMB < 1 || o.Images < 0 || o.Chunk < 1 || o.Parallel < 1 {
		return errors.New("media: need video-mb >= 1, images >= 0, chunk-mb >= 1 and parallel >= 1")
	}
	if runtime.GOOS != "linux" {
		return errors.New("media: Herald's memory is read from /proc: Linux only")
	}
	fmt.Fprintf(out, "herald-bench media --video-mb %d --images %d --chunk-mb %d --parallel %d\n", o.VideoMB, o.Images, chunkMB, o.Parallel)
	fmt.Fprintf(out, "machine: %d CPUs, %s, %s/%s\n", runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)

	work, err := os.MkdirTemp("", "herald-bench-media-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if o.MediaDir == "" {
		o.MediaDir = filepath.Join(work, "files")
	}
	start := time.Now()
	video, images, err := benchFiles(ctx, o)
	if err != nil {
		return err
	}
	vs, err := os.Stat(video)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "files: %s MP4 (%.1f MB), %d JPEGs, ready in %s\n", filepath.Base(video), mb(vs.Size()), len(images), time.Since(start).Round(time.Second))
	if o.Herald, err = heraldBinary(ctx, o.Herald, work, out); err != nil {
		return fmt.Errorf("media: %w", err)
	}
	return scratchDatabase(ctx, cfg, log, func(dbURL string) error {
		return benchMedia(ctx, dbURL, filepath.Join(work, "data"), o, video, images, out)
	})
}

// benchFiles makes (once, when MediaDir keeps them) the video and the images with ffmpeg:
// frames of a test pattern under moving noise, so nothing compresses to less than asked.
func benchFiles(ctx context.Context, o mediaOptions) (string, []string, error) {
	if err := os.MkdirAll(o.MediaDir, 0o755); err != nil {
		return "", nil, err
	}
	ffmpeg := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "ffmpeg", append([]string{"-loglevel", "error", "-y"}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("ffmpeg: %w: %s", err, strings.TrimSpace(stderr.String()))
		}
		return nil
	}
	video := filepath.Join(o.MediaDir, fmt.Sprintf("video-%dmb.mp4", o.VideoMB))
	if _, err := os.Stat(video); err != nil {
		// 40 Mbit/s of 720p noise: about 5 MB a second.
		secs := strconv.Itoa(max(1, o.VideoMB*1024*1024*8/40_000_000))
		if err := ffmpeg("-f", "lavfi", "-i", "testsrc2=s=1280x720:rate=25,noise=alls=30:allf=t+u", "-t", secs,
			"-c:v", "libx264", "-preset", "ultrafast", "-b:v", "40M", "-maxrate", "40M", "-bufsize", "80M",
			"-pix_fmt", "yuv420p", "-movflags", "+faststart", video+".tmp.mp4"); err != nil {
			return "", nil, err
		}
		if err := os.Rename(video+".tmp.mp4", video); err != nil {
			return "", nil, err
		}
	}
	pattern := filepath.Join(o.MediaDir, "image-%03d.jpg")
	images := make([]string, o.Images)
	missing := false
	for i := range images {
		images[i] = fmt.Sprintf(pattern, i+1)
		if _, err := os.Stat(images[i]); err != nil {
			missing = true
		}
	}
	if missing && o.Images > 0 {
		if err := ffmpeg("-f", "lavfi", "-i", "testsrc2=s=2400x1600:rate=1,noise=alls=40:allf=t+u", "-frames:v", strconv.Itoa(o.Images),
			"-q:v", "3", pattern); err != nil {
			return "", nil, err
		}
	}
	return video, images, nil
}

// benchMedia starts Herald, signs a person up, and uploads the video and the images at the
// same time while sampling Herald's resident memory.
func benchMedia(ctx context.Context, dbURL, dataDir string, o mediaOptions, video string, images []string, out io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr
	cmd := exec.CommandContext(ctx, o.Herald, "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "HERALD_ADDR="+addr, "HERALD_BASE_URL="+base, "HERALD_DATA_DIR="+dataDir,
		"HERALD_METRICS_ADDR=off", "HERALD_API_RATE_LIMIT=0", "HERALD_LOG_LEVEL=warn", "HERALD_LOG_FORMAT=text")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("media: start herald: %w", err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	pid := cmd.Process.Pid
	hc := &http.Client{Timeout: 10 * time.Minute}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		res, err := hc.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("media: herald did not answer /healthz within 2 minutes: %s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	api := &benchClient{hc: hc, base: base + "/api/v1"}
	if err := api.register(); err != nil {
		return err
	}
	// Idle: started, migrated, one person signed up and a few requests served.
	for range 5 {
		if _, err := api.do("GET", "/auth/me", nil, nil); err != nil {
			return err
		}
	}
	runtime.GC()
	idle, err := procStatus(pid, "VmRSS")
	if err != nil {
		return err
	}
	hwmBefore, _ := procStatus(pid, "VmHWM")

	var peak atomic.Int64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if rss, err := procStatus(pid, "VmRSS"); err == nil && rss > peak.Load() {
				peak.Store(rss)
			}
			select {
			case <-stopSampling:
				return
			case <-t.C:
			}
		}
	}()

	start := time.Now()
	var wg sync.WaitGroup
	var videoErr error
	var videoTook time.Duration
	var videoID string
	wg.Add(1)
	go func() {
		defer wg.Done()
		t0 := time.Now()
		videoID, videoErr = api.tusUpload(video, o.Chunk)
		videoTook = time.Since(t0)
	}()
	var imagesTook time.Duration
	var imageBytes atomic.Int64
	imageErrs := make([]error, len(images))
	wg.Add(1)
	go func() {
		defer wg.Done()
		t0 := time.Now()
		next := make(chan int)
		var iw sync.WaitGroup
		for range o.Parallel {
			iw.Add(1)
			go func() {
				defer iw.Done()
				for i := range next {
					n, err := api.postMedia(images[i])
					imageErrs[i] = err
					imageBytes.Add(n)
				}
			}()
		}
		for i := range images {
			next <- i
		}
		close(next)
		iw.Wait()
		imagesTook = time.Since(t0)
	}()
	wg.Wait()
	wall := time.Since(start)
	close(stopSampling)
	<-sampled
	hwm, err := procStatus(pid, "VmHWM")
	if err != nil {
		return err
	}

	if videoErr != nil {
		return fmt.Errorf("media: the video: %w", videoErr)
	}
	failed := 0
	var firstErr error
	for _, err := range imageErrs {
		if err != nil {
			failed++
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("media: %d of %d images failed, first: %w", failed, len(images), firstErr)
	}
	vs, _ := os.Stat(video)
	fmt.Fprintf(out, "\nvideo: %.1f MB through tus in %d MiB parts in %s: %.1f MB/s (media %s)\n",
		mb(vs.Size()), o.Chunk>>20, videoTook.Round(time.Millisecond), mb(vs.Size())/videoTook.Seconds(), videoID)
	if len(images) > 0 {
		fmt.Fprintf(out, "images: %d (%.1f MB) through POST /media, %d at a time, in %s: %.1f images/s, %.1f MB/s\n",
			len(images), mb(imageBytes.Load()), o.Parallel, imagesTook.Round(time.Millisecond), float64(len(images))/imagesTook.Seconds(),
			mb(imageBytes.Load())/imagesTook.Seconds())
	}
	fmt.Fprintf(out, "together: %.1f MB in %s: %.1f MB/s\n", mb(vs.Size()+imageBytes.Load()), wall.Round(time.Millisecond),
		mb(vs.Size()+imageBytes.Load())/wall.Seconds())
	fmt.Fprintf(out, "herald memory (pid %d): idle RSS %.1f MiB; peak RSS sampled every 20 ms %.1f MiB (+%.1f MiB); VmHWM %.1f MiB before, %.1f MiB after (+%.1f MiB above idle; target: under 100 MiB)\n",
		pid, mib(idle), mib(peak.Load()), mib(peak.Load()-idle), mib(hwmBefore), mib(hwm), mib(hwm-idle))
	return nil
}

func mb(n int64) float64  { return float64(n) / 1e6 }
func mib(n int64) float64 { return float64(n) / (1 << 20) }

// procStatus reads a memory field (kB) of /proc/<pid>/status, in bytes.
func procStatus(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("media: /proc/%d/status %s: %w", pid, field, err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("media: no %s in /proc/%d/status", field, pid)
}

// benchClient is a person using Herald's API, in their own company.
type benchClient struct {
	hc      *http.Client
	base    string
	token   string
	company string
}

func (c *benchClient) register() error {
	body, _ := json.Marshal(map[string]string{"email": "bench@example.com", "password": "correct horse battery", "name": "Bench", "company": "Bench Media"})
	res, err := c.do("POST", "/auth/register", bytes.NewReader(body), map[string]string{"Content-Type": "application/json"})
	if err != nil {
		return err
	}
	var out struct {
		Token   string `json:"token"`
		Company struct {
			ID string `json:"id"`
		} `json:"company"`
	}
	if err := json.Unmarshal(res.body, &out); err != nil || out.Token == "" {
		return fmt.Errorf("media: register: %v in %s", err, res.body)
	}
	c.token, c.company = out.Token, out.Company.ID
	return nil
}

type benchAnswer struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request and reads the answer; a status of 400 or more is an error.
func (c *benchClient) do(method, path string, body io.Reader, headers map[string]string) (benchAnswer, error) {
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		return benchAnswer{}, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("X-Company-ID", c.company)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if n, ok := headers["Content-Length"]; ok {
		req.ContentLength, _ = strconv.ParseInt(n, 10, 64)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return benchAnswer{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return benchAnswer{}, err
	}
	a := benchAnswer{status: res.StatusCode, header: res.Header, body: b}
	if res.StatusCode >= 400 {
		return a, fmt.Errorf("%s %s = %d %s", method, path, res.StatusCode, b)
	}
	return a, nil
}

// tusUpload sends the file through the resumable upload API in parts of chunk bytes and
// returns the library file's id.
func (c *benchClient) tusUpload(path string, chunk int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	meta := "filename " + base64.StdEncoding.EncodeToString([]byte(filepath.Base(path)))
	res, err := c.do("POST", "/uploads", nil, map[string]string{"Tus-Resumable": "1.0.0", "Upload-Length": strconv.FormatInt(st.Size(), 10), "Upload-Metadata": meta})
	if err != nil {
		return "", err
	}
	loc := strings.TrimPrefix(res.header.Get("Location"), "/api/v1")
	for off := int64(0); off < st.Size(); {
		n := min(chunk, st.Size()-off)
		res, err := c.do("PATCH", loc, io.NewSectionReader(f, off, n), map[string]string{"Tus-Resumable": "1.0.0",
			"Content-Type": "application/offset+octet-stream", "Upload-Offset": strconv.FormatInt(off, 10), "Content-Length": strconv.FormatInt(n, 10)})
		if err != nil {
			return "", err
		}
		if got := res.header.Get("Upload-Offset"); got != strconv.FormatInt(off+n, 10) {
			return "", fmt.Errorf("PATCH at %d: Upload-Offset %q, want %d", off, got, off+n)
		}
		off += n
		if off == st.Size() {
			id := res.header.Get("Herald-Media-Id")
			if id == "" {
				return "", fmt.Errorf("the last part's answer has no Herald-Media-Id: %v", res.header)
			}
			return id, nil
		}
	}
	return "", errors.New("the file is empty")
}

// postMedia sends the file through POST /media as multipart, streamed from disk, and
// returns its size.
func (c *benchClient) postMedia(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		part, err := mw.CreateFormFile("file", filepath.Base(path))
		if err == nil {
			_, err = io.Copy(part, f)
		}
		if err == nil {
			err = mw.WriteField("alt", "A test pattern under noise")
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	res, err := c.do("POST", "/media", pr, map[string]string{"Content-Type": mw.FormDataContentType()})
	if err != nil {
		return 0, err
	}
	if res.status != http.StatusCreated {
		return 0, fmt.Errorf("POST /media = %d", res.status)
	}
	return st.Size(), nil
}
