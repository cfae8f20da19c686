package sandbox_test

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/platforms/sandbox"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseConfig_Defaults(t *testing.T) {
	t.Parallel()

	cfg, err := sandbox.ParseConfig(env(nil))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	if cfg.Latency != 200*time.Millisecond || cfg.TokenTTL != time.Hour || cfg.TransientRate != 0 || cfg.PermanentRate != 0 {
		t.Errorf("ParseConfig(empty) = %+v, want latency 200ms, token TTL 1h, rates 0", cfg)
	}
}

func TestParseConfig_ReadsEveryVariable(t *testing.T) {
	t.Parallel()

	cfg, err := sandbox.ParseConfig(env(map[string]string{
		"HERALD_SANDBOX_LATENCY":        "50ms",
		"HERALD_SANDBOX_TRANSIENT_RATE": "0.5",
		"HERALD_SANDBOX_PERMANENT_RATE": " 0.3 ",
		"HERALD_SANDBOX_LOST_RATE":      "0.2",
		"HERALD_SANDBOX_TOKEN_TTL":      "90s",
	}))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	if cfg.Latency != 50*time.Millisecond || cfg.TransientRate != 0.5 || cfg.PermanentRate != 0.3 || cfg.LostRate != 0.2 || cfg.TokenTTL != 90*time.Second {
		t.Errorf("ParseConfig = %+v, want 50ms, 0.5, 0.3, 0.2, 90s", cfg)
	}
}

func TestParseConfig_BadValuesNameTheirVariable(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		env  map[string]string
		want []string // variables the error must name
	}{
		{"LatencyNotADuration", map[string]string{"HERALD_SANDBOX_LATENCY": "fast"}, []string{"HERALD_SANDBOX_LATENCY"}},
		{"NegativeLatency", map[string]string{"HERALD_SANDBOX_LATENCY": "-1s"}, []string{"HERALD_SANDBOX_LATENCY"}},
		{"ZeroTokenTTL", map[string]string{"HERALD_SANDBOX_TOKEN_TTL": "0s"}, []string{"HERALD_SANDBOX_TOKEN_TTL"}},
		{"RateNotANumber", map[string]string{"HERALD_SANDBOX_TRANSIENT_RATE": "half"}, []string{"HERALD_SANDBOX_TRANSIENT_RATE"}},
		{"RateAboveOne", map[string]string{"HERALD_SANDBOX_PERMANENT_RATE": "1.5"}, []string{"HERALD_SANDBOX_PERMANENT_RATE"}},
		{"NegativeRate", map[string]string{"HERALD_SANDBOX_PERMANENT_RATE": "-0.1"}, []string{"HERALD_SANDBOX_PERMANENT_RATE"}},
		{"NaNRate", map[string]string{"HERALD_SANDBOX_TRANSIENT_RATE": "NaN"}, []string{"HERALD_SANDBOX_TRANSIENT_RATE"}},
		{"RatesAddUpToMoreThanOne", map[string]string{
			"HERALD_SANDBOX_TRANSIENT_RATE": "0.6", "HERALD_SANDBOX_PERMANENT_RATE": "0.5",
		}, []string{"HERALD_SANDBOX_TRANSIENT_RATE", "HERALD_SANDBOX_PERMANENT_RATE"}},
		{"LostRateCountsInTheSum", map[string]string{
			"HERALD_SANDBOX_TRANSIENT_RATE": "0.5", "HERALD_SANDBOX_LOST_RATE": "0.6",
		}, []string{"HERALD_SANDBOX_LOST_RATE"}},
		{"EveryProblemAtOnce", map[string]string{
			"HERALD_SANDBOX_LATENCY": "x", "HERALD_SANDBOX_TOKEN_TTL": "y",
		}, []string{"HERALD_SANDBOX_LATENCY", "HERALD_SANDBOX_TOKEN_TTL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			_, err := sandbox.ParseConfig(env(tt.env))
			if err == nil {
				t.Fatalf("ParseConfig(%v) = nil error, want one naming %v", tt.env, tt.want)
			}
			for _, v := range tt.want {
				if !strings.Contains(err.Error(), v) {
					t.Errorf("ParseConfig(%v) error %q does not name %s", tt.env, err, v)
				}
			}
		})
	}
}
