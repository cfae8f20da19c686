package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times (100 on Linux everywhere
// Herald runs).
const clockTicks = 100

// cpuSample is CPU time used so far: by this process, by every PostgreSQL process of the
// machine, and by each backend serving the benchmark's database.
type cpuSample struct {
	self     time.Duration
	postgres time.Duration
	backends map[int]time.Duration
}

// sampleCPU reads the CPU times; db names the backends of the benchmark's database
// (pg_stat_activity). A process that cannot be read is skipped.
func sampleCPU(ctx context.Context, db *sql.DB) cpuSample {
	var s cpuSample
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	all := map[int]time.Duration{}
	for _, p := range procs {
		pid, t, ok := postgresCPU(p)
		if ok {
			all[pid] = t
			s.postgres += t
		}
	}
	s.backends = map[int]time.Duration{}
	rows, err := db.QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return s
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			if t, ok := all[pid]; ok {
				s.backends[pid] = t
			}
		}
	}
	return s
}

// postgresCPU returns the pid and user+system CPU time of the process whose stat file is
// path, when its command is postgres.
func postgresCPU(path string) (int, time.Duration, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, false
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open || s[open+1:end] != "postgres" {
		return 0, 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(s[:open]))
	if err != nil {
		return 0, 0, false
	}
	// After the command: state is field 3; utime and stime are fields 14 and 15.
	f := strings.Fields(s[end+1:])
	if len(f) < 13 {
		return 0, 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return pid, time.Duration(u+st) * time.Second / clockTicks, true
}

// cpuUsed is what was used between two samples: this process, every PostgreSQL process,
// and the backends of the benchmark's database (a backend that ended meanwhile is lost,
// one that started counts whole).
func cpuUsed(before, after cpuSample) (self, postgres, backends time.Duration) {
	for pid, t := range after.backends {
		backends += t - before.backends[pid]
	}
	return after.self - before.self, after.postgres - before.postgres, backends
}
