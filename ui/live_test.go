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
	"testing/synctest"
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
	synctest.Wait()
	if s.looks.Load() != 1 || !strings.Contains(s.out.String(), "retry:") {
		t.Fatalf("after the stream's start: %d looks, %q; want its first look and its header", s.looks.Load(), s.out.String())
	}
	return s
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
	// In a bubble, the streams' timers run on synctest's clock: the waits below take no
	// real time, and synctest.Wait returns once every stream has done all it can.
	synctest.Test(t, func(t *testing.T) {
		h := newLiveHandler(time.Hour)
		a, b := domain.CompanyID("company-a"), domain.CompanyID("company-b")
		sa, sb := openStream(t, h, a), openStream(t, h, b)

		// Long enough for a polling stream to have looked many times, and for the
		// keep-alives to have gone out; a quiet one never looks.
		time.Sleep(2 * streamKeepAlive)
		synctest.Wait()
		if n, m := sa.looks.Load(), sb.looks.Load(); n != 1 || m != 1 {
			t.Fatalf("streams looked %d and %d times while nothing changed, want once each (at the start)", n, m)
		}
		if !strings.Contains(sa.out.String(), ": still here\n\n") {
			t.Errorf("a quiet stream sent no keep-alive in %s: %q", 2*streamKeepAlive, sa.out.String())
		}

		sa.fingerprint.Store("v2")
		h.PostsChanged(a)
		synctest.Wait()
		if !strings.Contains(sa.out.String(), "event: change\nid: v2\n") {
			t.Fatalf("no change event on A's stream: %q", sa.out.String())
		}
		if n := sa.looks.Load(); n != 2 {
			t.Errorf("A's stream looked %d times for one change, want 2 in all", n)
		}
		if n := sb.looks.Load(); n != 1 || strings.Contains(sb.out.String(), "event:") {
			t.Errorf("B's stream looked %d times after A's change, want 1 and no event: %q", n, sb.out.String())
		}

		for range 50 {
			h.PostsChanged(a)
		}
		time.Sleep(4 * streamGap) // every look the burst could still cause has run
		synctest.Wait()
		if n := sa.looks.Load() - 2; n < 1 || n > 2 {
			t.Errorf("A's stream looked %d more times for a burst of 50 changes, want 1 or 2", n)
		}

		before := sb.looks.Load()
		h.RecheckStreams()
		time.Sleep(streamGap)
		synctest.Wait()
		if n := sb.looks.Load(); n != before+1 {
			t.Errorf("B's stream looked %d times after the listener reconnected, want %d", n, before+1)
		}

		h.StopStreams()
		synctest.Wait()
		for _, s := range []*liveStream{sa, sb} {
			select {
			case err := <-s.done:
				if err != nil {
					t.Errorf("stream ended with %v", err)
				}
				s.done <- nil // for the cleanup
			default:
				t.Fatal("a stream outlived StopStreams")
			}
		}
		h.hub.mu.Lock()
		defer h.hub.mu.Unlock()
		if len(h.hub.streams) != 0 {
			t.Errorf("ended streams are still in the hub: %v", h.hub.streams)
		}
	})
}

// TestStream_LooksAgainNowAndThenWithoutNotifications covers a lost notification: a
// stream nothing wakes still looks again every LiveRecheck and sends the change it finds.
func TestStream_LooksAgainNowAndThenWithoutNotifications(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newLiveHandler(time.Minute)
		s := openStream(t, h, "company-a")
		s.fingerprint.Store("v2")
		time.Sleep(time.Minute - time.Millisecond)
		synctest.Wait()
		if n := s.looks.Load(); n != 1 {
			t.Errorf("the stream looked %d times before its re-check was due, want 1", n)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if n := s.looks.Load(); n != 2 || !strings.Contains(s.out.String(), "event: change\nid: v2\n") {
			t.Errorf("after LiveRecheck: %d looks, %q; want 2 and the change the re-check found", n, s.out.String())
		}
	})
}

// TestHub_WakesOnlyTheChangedCompanysStreams checks the fan-out itself: a change wakes
// every stream of its company and none of another, a signal never blocks even when a
// stream has not taken the last one, and an unsubscribed stream is forgotten.
func TestHub_WakesOnlyTheChangedCompanysStreams(t *testing.T) {
	t.Parallel()
	var b hub[domain.CompanyID]
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
