package gitrepo

import (
	"runtime/debug"
	"sync"
)

// wholeSoftLimit is the soft memory limit (runtime/debug.SetMemoryLimit)
// in force while a whole history is fetched and walked: the fetch inflates
// every tree of the history, gigabytes of short-lived data over a live set
// of some 25 MB (the pack's index and a cache of trees). Left to GOGC
// alone the heap doubles that live set; with the limit a history of
// 20,000 commits stays within 64 MB of RSS. The limit is the process's
// only for that time (wholeMemoryLimit): elsewhere, a larger live heap,
// such as a large values file's, would have the collector run back to
// back under it.
const wholeSoftLimit = 40 << 20

var memLimit struct {
	sync.Mutex
	users int   // the whole histories being read
	old   int64 // the limit before the first of them
}

// wholeMemoryLimit lowers the process's soft memory limit to
// wholeSoftLimit, unless it is lower already (GOMEMLIMIT), and returns
// the function that restores it once no whole history is read any more.
func wholeMemoryLimit() (restore func()) {
	memLimit.Lock()
	defer memLimit.Unlock()
	if memLimit.users == 0 {
		memLimit.old = debug.SetMemoryLimit(-1)
		if memLimit.old > wholeSoftLimit {
			debug.SetMemoryLimit(wholeSoftLimit)
		}
	}
	memLimit.users++
	var once sync.Once
	return func() {
		once.Do(func() {
			memLimit.Lock()
			defer memLimit.Unlock()
			if memLimit.users--; memLimit.users == 0 {
				debug.SetMemoryLimit(memLimit.old)
			}
		})
	}
}
