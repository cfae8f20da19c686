package domain

// CheckVersion returns CodeStale when want (from If-Match; 0 means none) is not current.
func CheckVersion(want, current int) error {
	if want != 0 && want != current {
		return Errorf(CodeStale, "This was changed by someone else (now version %d); reload and try again.", current)
	}
	return nil
}
