package ui

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

// sink is a ResponseWriter an event stream can write to while the test reads what it wrote.
type sink struct {
	mu     sync.Mutex
	header http.Header
	body   strings.Builder
	status int
}

func (s *sink) Header() http.Header { return s.header }
func (s *sink) WriteHeader(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = code
}
func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.body.Write(p)
}
func (s *sink) Flush() {}
func (s *sink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.body.String()
}

// liveStream is one open stream of the test, with its look counted.
type liveStream struct {
	out         *sink
	looks       atomic.Int64
	fingerprint atomic.Value // what look returns
	done        chan error
}

func openStream(t *testing.T, h *Handler, company domain.CompanyID) *liveStream {
	t.Helper()
	s := &liveStream{out: &sink{header: http.Header{}}, done: make(chan error, 1)}
	s.fingerprint.Store("v1")
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest(http.MethodGet, "/calendar/events", nil).WithContext(ctx)
	c := echo.New().NewContext(req, s.out)
	go func() {
		s.done <- h.stream(c, company, "v1", func(context.Context) (string, error) {
			s.looks.Add(1)
			return s.fingerprint.Load().(string), nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	eventually(t, "the stream's first look and its header", func() bool { return s.looks.Load() == 1 && strings.Contains(s.out.String(), "retry:") })
	return s
}

// eventually polls cond with a generous deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newLiveHandler(recheck time.Duration) *Handler {
	return &Handler{Config: Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), LiveRecheck: recheck}, stopping: make(chan struct{})}
}

// TestStream_LooksOnlyWhenItsCompanysPostsChange opens streams of two companies that
// nothing wakes for a while: neither looks at the database again (the streams used to look
// every second). A change of company A wakes A's stream, which looks once and sends
// "change", and not B's; a burst of changes costs one or two looks, not one each; a
// reconnected listener wakes every stream; and the streams leave the hub when they end.
func TestStream_LooksOnlyWhenItsCompanysPostsChange(t *testing.T) {
	t.Parallel()
	h := newLiveHandler(time.Hour)
	a, b := domain.CompanyID("company-a"), domain.CompanyID("company-b")
	sa, sb := openStream(t, h, a), openStream(t, h, b)

	// Long enough for a polling stream to have looked twice; a quiet one never looks.
	time.Sleep(2500 * time.Millisecond)
	if n, m := sa.looks.Load(), sb.looks.Load(); n != 1 || m != 1 {
		t.Fatalf("streams looked %d and %d times while nothing changed, want once each (at the start)", n, m)
	}

	sa.fingerprint.Store("v2")
	h.PostsChanged(a)
	eventually(t, "A's change event", func() bool { return strings.Contains(sa.out.String(), "event: change\nid: v2\n") })
	if n := sa.looks.Load(); n != 2 {
		t.Errorf("A's stream looked %d times for one change, want 2 in all", n)
	}
	if n := sb.looks.Load(); n != 1 || strings.Contains(sb.out.String(), "event:") {
		t.Errorf("B's stream looked %d times after A's change, want 1 and no event: %q", n, sb.out.String())
	}

	for range 50 {
		h.PostsChanged(a)
	}
	eventually(t, "A's look after the burst", func() bool { return sa.looks.Load() >= 3 })
	time.Sleep(time.Second) // four gaps: every look the burst could still cause has run
	if n := sa.looks.Load(); n > 4 {
		t.Errorf("A's stream looked %d times for a burst of 50 changes, want at most 2 more than the 2 before", n-2)
	}

	before := sb.looks.Load()
	h.RecheckStreams()
	eventually(t, "B's look after the listener reconnected", func() bool { return sb.looks.Load() == before+1 })

	h.StopStreams()
	for _, s := range []*liveStream{sa, sb} {
		select {
		case err := <-s.done:
			if err != nil {
				t.Errorf("stream ended with %v", err)
			}
			s.done <- nil // for the cleanup
		case <-time.After(20 * time.Second):
			t.Fatal("a stream outlived StopStreams")
		}
	}
	h.hub.mu.Lock()
	defer h.hub.mu.Unlock()
	if len(h.hub.streams) != 0 {
		t.Errorf("ended streams are still in the hub: %v", h.hub.streams)
	}
}

// TestStream_LooksAgainNowAndThenWithoutNotifications covers a lost notification: a
// stream nothing wakes still looks again every LiveRecheck and sends the change it finds.
func TestStream_LooksAgainNowAndThenWithoutNotifications(t *testing.T) {
	t.Parallel()
	h := newLiveHandler(50 * time.Millisecond)
	s := openStream(t, h, "company-a")
	s.fingerprint.Store("v2")
	eventually(t, "the change found by a re-check", func() bool { return strings.Contains(s.out.String(), "event: change\nid: v2\n") })
}

// TestHub_WakesOnlyTheChangedCompanysStreams checks the fan-out itself: a change wakes
// every stream of its company and none of another, a signal never blocks even when a
// stream has not taken the last one, and an unsubscribed stream is forgotten.
func TestHub_WakesOnlyTheChangedCompanysStreams(t *testing.T) {
	t.Parallel()
	var b hub
	a1, stopA1 := b.subscribe("a")
	a2, stopA2 := b.subscribe("a")
	other, stopOther := b.subscribe("b")
	b.wake("a")
	b.wake("a") // a2 and a1 have not taken the first signal: this one must not block
	for i, c := range []<-chan struct{}{a1, a2} {
		select {
		case <-c:
		default:
			t.Errorf("stream %d of company a was not woken", i+1)
		}
	}
	select {
	case <-other:
		t.Error("company b's stream was woken by company a's change")
	default:
	}
	b.wakeAll()
	for i, c := range []<-chan struct{}{a1, a2, other} {
		select {
		case <-c:
		default:
			t.Errorf("stream %d was not woken by wakeAll", i+1)
		}
	}
	stopA1()
	stopA2()
	stopOther()
	if len(b.streams) != 0 {
		t.Errorf("streams left after unsubscribing: %v", b.streams)
	}
}
