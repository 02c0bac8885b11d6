package testenv

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// ChartsFiles returns a helm-charts repository's files for n charts named
// chart-0000…: values.yaml, values-staging.yaml and values-prod.yaml each,
// all different from each other (real repositories do not repeat files),
// about 12 KB per chart. The same seed gives the same files.
func ChartsFiles(n int, seed uint64) map[string]string {
	rng := rand.New(rand.NewPCG(seed, 0x7a6b))
	files := make(map[string]string, 3*n+1)
	files["README.md"] = "# helm charts\n"
	block := func(b *strings.Builder, lines int) {
		for i := 0; i < lines; i++ {
			fmt.Fprintf(b, "  key%03d: %016x%016x\n", i, rng.Uint64(), rng.Uint64())
		}
	}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("chart-%04d", i)
		var b strings.Builder
		fmt.Fprintf(&b, "replicaCount: 1\nimage:\n  repository: registry.example.com/%s\n  tag: \"%s-%d\"\n  pullPolicy: IfNotPresent\nsettings:\n", name, name, 100+i)
		block(&b, 200)
		files[name+"/values.yaml"] = b.String()
		for _, env := range []string{"staging", "prod"} {
			b.Reset()
			fmt.Fprintf(&b, "image:\n  tag: \"%s-%d\"\nsettings:\n", name, 90+i)
			block(&b, 40)
			files[name+"/values-"+env+".yaml"] = b.String()
		}
	}
	return files
}
