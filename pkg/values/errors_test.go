package values

import "testing"

// TestErrorString: the position is shown only where it is known.
func TestErrorString(t *testing.T) {
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{Op: "set", Path: ".a", Line: 3, Column: 5, Reason: "r"}, "set .a: line 3:5: r"},
		{Error{Op: "set", Path: ".a", Line: 3, Reason: "r"}, "set .a: line 3: r"},
		{Error{Op: "set", Path: ".a", Column: 5, Reason: "r"}, "set .a: r"},
		{Error{Op: "find images", Reason: "r", Err: ErrInvalid}, "find images: r: invalid"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}
