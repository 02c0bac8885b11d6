package bump

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tagbump/tagbump/pkg/imageref"
)

func TestTrailers(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  string
		want []Trailer
	}{
		{"rollback", "revert(prod): roll back api to 1.1.0\n\n- api/values-prod.yaml .image.tag: 1.2.0 → 1.1.0\n\nRolls-Back: abc\nRolled-Back-Tag: 1.2.0\nCI-Run: https://ci.example/1\n",
			[]Trailer{{"Rolls-Back", "abc"}, {"Rolled-Back-Tag", "1.2.0"}, {"CI-Run", "https://ci.example/1"}}},
		{"subject only", "Rolls-Back: abc\n", nil},
		{"last paragraph is prose", "fix\n\nRolls-Back: abc\n\nthis is not: a trailer block at all\n", nil},
		{"prose line among trailers", "fix\n\nRolls-Back: abc\nsome words\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, trailers(tc.msg)); diff != "" {
				t.Errorf("trailers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestImageChanges(t *testing.T) {
	old := []byte("image:\n  repository: reg.example/api\n  tag: 1.0.0\nworker:\n  image: reg.example/worker:2.0.0\nreplicas: 1\n")
	for _, tc := range []struct {
		name string
		old  []byte
		new  string
		want []ImageChange
	}{
		{"tag", old, "image:\n  repository: reg.example/api\n  tag: 1.1.0\nworker:\n  image: reg.example/worker:2.0.0\nreplicas: 1\n",
			[]ImageChange{{Key: ".image.tag", Repository: "reg.example/api", Old: "1.0.0", New: "1.1.0"}}},
		{"string form with digest", old, "image:\n  repository: reg.example/api\n  tag: 1.0.0\nworker:\n  image: reg.example/worker:2.1.0@sha256:aa\nreplicas: 1\n",
			[]ImageChange{{Key: ".worker.image", Repository: "reg.example/worker", Old: "2.0.0", New: "2.1.0", NewDigest: "sha256:aa"}}},
		{"replicas only", old, "image:\n  repository: reg.example/api\n  tag: 1.0.0\nworker:\n  image: reg.example/worker:2.0.0\nreplicas: 2\n", nil},
		{"added file", nil, "image:\n  tag: 1.0.0\n", []ImageChange{{Key: ".image.tag", New: "1.0.0"}}},
		{"invalid YAML before", []byte("image: [\n"), "image:\n  tag: 1.0.0\n", []ImageChange{{Key: ".image.tag", New: "1.0.0"}}},
		{"deleted file", old, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var newer []byte
			if tc.new != "" {
				newer = []byte(tc.new)
			}
			if diff := cmp.Diff(tc.want, imageChanges("values.yaml", tc.old, newer, nil, Pick{}), cmpopts.IgnoreUnexported(ImageChange{})); diff != "" {
				t.Errorf("imageChanges (-want +got):\n%s", diff)
			}
		})
	}
}

// TestInferRollbacks reads a commit that moves a key back to an earlier tag
// as a rollback of the deployments between, whatever its message; tagbump's
// own bumps and moves to a new tag stay what they are.
func TestInferRollbacks(t *testing.T) {
	dep := func(commit, kind, old, new string) Deployment {
		return Deployment{Commit: commit, Kind: kind, Images: []ImageChange{{Key: ".image.tag", Old: old, New: new}}}
	}
	other := Deployment{Commit: "o", Kind: KindBump, Images: []ImageChange{{Key: ".worker.tag", Old: "1.0", New: "1.1"}}}
	for _, tc := range []struct {
		name           string
		deps           []Deployment // newest first
		kind           string       // of deps[0] after
		undone, rolled []string
	}{
		{"one step", []Deployment{dep("c", KindManual, "1.2", "1.1"), dep("b", KindBump, "1.1", "1.2"), dep("a", KindBump, "1.0", "1.1")},
			KindRollback, []string{"b"}, []string{"1.2"}},
		{"two steps, another key between", []Deployment{dep("d", KindManual, "1.3", "1.1"), other, dep("c", KindBump, "1.2", "1.3"), dep("b", KindBump, "1.1", "1.2")},
			KindRollback, []string{"c", "b"}, []string{"1.3", "1.2"}},
		{"a new tag", []Deployment{dep("c", KindManual, "1.2", "1.3"), dep("b", KindBump, "1.1", "1.2")}, KindManual, nil, nil},
		{"a tagbump bump back is a bump", []Deployment{dep("c", KindBump, "1.2", "1.1"), dep("b", KindBump, "1.1", "1.2")}, KindBump, nil, nil},
		{"undoing a rollback deploys forward", []Deployment{dep("m", KindManual, "1.1", "1.2"), dep("r", KindRollback, "1.2", "1.1"), dep("b", KindBump, "1.1", "1.2"), dep("a", KindBump, "1.0", "1.1")},
			KindManual, nil, nil},
		{"same tag, another digest: a new build", []Deployment{
			{Commit: "m", Kind: KindManual, Images: []ImageChange{{Key: ".image.tag", Old: "v2", OldDigest: "sha256:x", New: "main", NewDigest: "sha256:c"}}},
			{Commit: "b", Kind: KindBump, Images: []ImageChange{{Key: ".image.tag", Old: "main", OldDigest: "sha256:b", New: "v2", NewDigest: "sha256:x"}}}},
			KindManual, nil, nil},
		{"the earlier tag out of reach", []Deployment{dep("c", KindManual, "1.2", "1.1"), dep("b", KindBump, "1.0", "1.2")}, KindManual, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := inferRollbacks(tc.deps)[0]
			if got.Kind != tc.kind || !slices.Equal(got.RollsBack, tc.undone) || !slices.Equal(got.RolledBackTags, tc.rolled) {
				t.Errorf("got %s rolls back %v tags %v; want %s %v %v", got.Kind, got.RollsBack, got.RolledBackTags, tc.kind, tc.undone, tc.rolled)
			}
		})
	}
}

// TestPickOverDefaults: a values file that sets only tags is read over the
// chart's values.yaml, as Helm merges them, so its blocks are known by the
// repositories there and --image and --key pick among them.
func TestPickOverDefaults(t *testing.T) {
	defaults := []byte("image:\n  repository: registry.example.com/app\n  tag: latest\nsidecar:\n  image:\n    repository: registry.example.com/side\n    tag: latest\n")
	old := []byte("image:\n  tag: 1.0.0\nsidecar:\n  image:\n    tag: 2.0.0\n")
	newer := []byte("image:\n  tag: 1.1.0\nsidecar:\n  image:\n    tag: 2.1.0\n")
	all := imageChanges("values.yaml", old, newer, defaults, Pick{})
	want := []ImageChange{
		{Key: ".image.tag", Repository: "registry.example.com/app", Old: "1.0.0", New: "1.1.0"},
		{Key: ".sidecar.image.tag", Repository: "registry.example.com/side", Old: "2.0.0", New: "2.1.0"},
	}
	if diff := cmp.Diff(want, all, cmpopts.IgnoreUnexported(ImageChange{})); diff != "" {
		t.Fatalf("imageChanges over defaults (-want +got):\n%s", diff)
	}
	side := imageref.Ref{Registry: "registry.example.com", Repository: "side"}
	for _, tc := range []struct {
		name string
		pick Pick
		want []string
	}{
		{"everything", Pick{}, []string{".image.tag", ".sidecar.image.tag"}},
		{"by repository", Pick{Images: []imageref.Ref{side}}, []string{".sidecar.image.tag"}},
		{"by tag key", Pick{Keys: []string{"image.tag"}}, []string{".image.tag"}},
		{"by block", Pick{Keys: []string{".sidecar.image"}}, []string{".sidecar.image.tag"}},
		{"no match", Pick{Keys: []string{".other.tag"}}, nil},
	} {
		var got []string
		for _, c := range all {
			if tc.pick.picks(c) {
				got = append(got, c.Key)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: picked %q, want %q", tc.name, got, tc.want)
		}
	}
}
