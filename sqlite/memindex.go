package sqlite

import (
	"bytes"
	"cmp"
	"hash/maphash"
	"math"
	"math/bits"
	"slices"
	"strings"
	"sync"

	"github.com/open311-to-go/open311/georeport"
)

// memIndex keeps in memory the fields that request lists filter and sort on, for every
// request, so that a list query finds and counts its matches without reading rows: only the
// requests of the page are then read from SQLite. With it, the cost of a query grows with
// its matches and its page, not with the store. It takes about 150 bytes per request.
//
// Requests are kept by their row id, which SQLite assigns densely, one slot per row id.
// lists hold row ids by filing time and service_request_id, ascending: one list of every
// request, and one per service code, per status, and per pair of them, so that a query
// walks only the requests it can match. cells lists, in the same order, the located requests
// of each cell of a latitude and longitude grid. An area query reads the filing window of
// each cell it meets, and counts a cell wholly inside the area by its length.
type memIndex struct {
	mu   sync.RWMutex
	rows []memRow // by row id; rows[0] is unused
	// filed holds the filing time of each row, by row id, apart from rows, so that the
	// binary searches and sorts by time read a small array that mostly stays in the cache.
	filed []int64
	// places holds the location of each located row, by row id, apart from rows, so that
	// area queries read only the 16 bytes they need of each row.
	places []georeport.Point
	lists  map[listKey][]int32
	cells  map[cellKey]cellRows
	// cellHidden counts the hidden rows of each cell.
	cellHidden map[cellKey]int32
	// hidden lists the hidden rows of each list in the same order, so that a query can count
	// a list's window without them and without visiting its rows.
	hidden map[listKey][]int32
	// byID is a hash table from service_request_id to row id, with open addressing, 0 for an
	// empty place, and at most three quarters full. Lookups skip the stale place of a
	// changed id.
	byID      []int32
	byIDCount int
	ids       []byte // the service_request_ids, which memRow points into

	codes, jurisdictions, agencies, objects interner
	detailed                                interner // elements of the detailed status lists
	// detailedOverflow is set when a list element could get no bit of memRow.detailed, and
	// detailed status queries then go to SQL.
	detailedOverflow bool
}

// memRow is the part of one request that memIndex keeps.
type memRow struct {
	updated            int64 // Unix seconds, noTime when absent; filing times are in memIndex.filed
	idOffset           uint32
	idLength           uint16
	status             uint8 // statusNone, statusOpen or statusClosed
	flags              uint8 // rowPresent, rowHidden, rowLocated
	code, jurisdiction uint32
	agency, object     uint32
	detailed           uint64 // one bit per element of the detailed status list
	// version counts the writes of the row, so that a cached copy of an older version is
	// never used.
	version uint32
}

const (
	rowPresent = 1 << iota
	rowHidden
	rowLocated
)

const (
	statusNone uint8 = iota
	statusOpen
	statusClosed
)

// noTime stands for an absent time. It sorts before every time, so that requests without a
// filing time come last in NewestFirst order, as NULLs do in SQLite.
const noTime = math.MinInt64

// Grid cells are 0.002° of latitude by 0.004° of longitude, about 220 m square at 60° N.
// Small cells leave fewer requests on the edge of an area, where each needs its own check,
// and large ones fewer cells to look up and search. A 1 km circle meets about 100 of them.
// BenchmarkIndexCircle and BenchmarkIndexBox compare sizes on 1,000,000 generated requests.
// A 1 km circle took 208 µs with cells of 110 m, 134 µs with 220 m and 131 µs with 330 m.
// A 3 km circle took 865, 328 and 254 µs, a 2 by 2 km box 54, 29 and 31 µs, and a 200 m
// circle 57 µs with each.
const (
	cellLat  = 0.002
	cellLong = 0.004
)

type cellKey struct{ lat, long int32 }

// cellRows is the located rows of a grid cell, in filing order, with their filing times and
// spots. An area query searches the times for a cell's filing window, and tests the spots
// against its area, instead of reading filed and places at random row ids. setCell rebuilds
// both, and a cell that load filled has neither until finishLoad orders it.
type cellRows struct {
	slots []int32
	filed []int64
	spots []cellSpot
}

// cellSpot is a row's place within its grid cell, in 65,536ths of the cell's height and
// width. The centre of that part of the cell, which place returns, lies within 1.7 mm
// north–south and 3.4 mm east–west of the row's place. An area query decides most rows of
// the cells on the area's edge from their spots, which lie next to each other in memory, and
// reads the exact places, which lie anywhere in places, only for rows near the edge. On a
// 2-core AMD EPYC machine, that took BenchmarkIndexBox from 31 to 22 µs, and the server's
// bbox scenario at 1,000,000 requests from 11,400 to 13,400 requests a second. A 1 km circle stayed at about
// 130 µs: the benchmark finds most places in the processor's cache.
type cellSpot struct{ lat, long uint16 }

// spotOf returns the spot of p in the cell key, which cellOf gives for p.
func spotOf(key cellKey, p georeport.Point) cellSpot {
	return cellSpot{lat: spotPart(p.Lat/cellLat - float64(key.lat)), long: spotPart(p.Long/cellLong - float64(key.long))}
}

// spotPart returns the 65,536th of a cell in which a fraction of the cell lies. Rounding in
// cellOf may put a place a hair outside its cell, which counts as the nearest part.
func spotPart(fraction float64) uint16 {
	return uint16(min(max(fraction*65536, 0), 65535))
}

// place returns the centre of the spot's part of the cell key.
func (s cellSpot) place(key cellKey) georeport.Point {
	return georeport.Point{
		Lat:  (float64(key.lat) + (float64(s.lat)+0.5)/65536) * cellLat,
		Long: (float64(key.long) + (float64(s.long)+0.5)/65536) * cellLong,
	}
}

// spotError bounds the distance in metres between a row's place and the place of its spot,
// with a margin of more than twice the largest error.
const spotError = 0.01

// spotBox is a box in the spot units of one cell. A row whose spot is inside the bounds in
// lies in the box, and a row whose spot is outside the bounds out lies outside it. A spot k
// is the part of the cell from k to k+1 units, and both bounds leave a unit more for rounding.
type spotBox struct {
	inLat, inLong, outLat, outLong [2]int32
}

// spotBoxOf returns b in the spot units of the cell key.
func spotBoxOf(b *georeport.BBox, key cellKey) spotBox {
	var s spotBox
	s.inLat, s.outLat = spotAxis(b.MinLat/cellLat-float64(key.lat), b.MaxLat/cellLat-float64(key.lat))
	s.inLong, s.outLong = spotAxis(b.MinLong/cellLong-float64(key.long), b.MaxLong/cellLong-float64(key.long))
	return s
}

// spotAxis returns the spots within and beyond a range of one axis of a cell, given as
// fractions of the cell. A range far beyond the cell is clamped, which changes neither result.
func spotAxis(lo, hi float64) (in, out [2]int32) {
	lo = min(max(lo*65536, -8), 65544)
	hi = min(max(hi*65536, -8), 65544)
	in = [2]int32{int32(math.Ceil(lo)) + 1, int32(math.Floor(hi)) - 2}
	out = [2]int32{int32(math.Floor(lo)) - 1, int32(math.Ceil(hi))}
	return in, out
}

// test decides whether the row of spot s lies in the box, unless s lies on its edge.
func (b *spotBox) test(s cellSpot) (inside, decided bool) {
	lat, long := int32(s.lat), int32(s.long)
	if lat < b.outLat[0] || lat > b.outLat[1] || long < b.outLong[0] || long > b.outLong[1] {
		return false, true
	}
	if lat >= b.inLat[0] && lat <= b.inLat[1] && long >= b.inLong[0] && long <= b.inLong[1] {
		return true, true
	}
	return false, false
}

// listKey names a list of memIndex: every request, or those of one service code, one
// status, or one pair of them.
type listKey struct {
	kind  uint8
	value uint64
}

const (
	listAll uint8 = iota
	listCode
	listStatus
	listCodeStatus
)

// listKeys returns the lists that a row belongs to.
func listKeys(row *memRow) [4]listKey {
	return [4]listKey{
		{kind: listAll},
		{kind: listCode, value: uint64(row.code)},
		{kind: listStatus, value: uint64(row.status)},
		{kind: listCodeStatus, value: uint64(row.code)<<8 | uint64(row.status)},
	}
}

func cellOf(lat, long float64) cellKey {
	return cellKey{int32(math.Floor(lat / cellLat)), int32(math.Floor(long / cellLong))}
}

// interner gives each distinct string a number from 1; 0 stands for the empty string.
type interner struct {
	numbers map[string]uint32
}

func (in *interner) intern(s string) uint32 {
	if s == "" {
		return 0
	}
	if n, ok := in.numbers[s]; ok {
		return n
	}
	if in.numbers == nil {
		in.numbers = map[string]uint32{}
	}
	n := uint32(len(in.numbers) + 1)
	in.numbers[s] = n
	return n
}

// lookup returns the number of s, or false when no stored value has it.
func (in *interner) lookup(s string) (uint32, bool) {
	if s == "" {
		return 0, true
	}
	n, ok := in.numbers[s]
	return n, ok
}

func newMemIndex() *memIndex {
	return &memIndex{rows: make([]memRow, 1), filed: make([]int64, 1), places: make([]georeport.Point, 1), lists: map[listKey][]int32{}, cells: map[cellKey]cellRows{},
		cellHidden: map[cellKey]int32{}, hidden: map[listKey][]int32{}}
}

// reserve makes room for row ids up to maxRowID and for count requests, so that loading a
// store does not leave the index with up to twice the memory it needs. The arrays by row id
// get a sixteenth more, so that the first requests written after the load do not copy them:
// at 1,000,000 requests that copy took 77 MB more for a moment.
func (m *memIndex) reserve(maxRowID, count int) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rows := maxRowID + 1 + maxRowID/16
	m.rows = slices.Grow(m.rows, max(0, rows-len(m.rows)))
	m.filed = slices.Grow(m.filed, max(0, rows-len(m.filed)))
	m.places = slices.Grow(m.places, max(0, rows-len(m.places)))
	m.ids = slices.Grow(m.ids, max(0, count*averageIDLength-len(m.ids)))
}

// averageIDLength is the service_request_id length that reserve plans for. This server makes
// ids of 20 characters, and so does Helsinki's.
const averageIDLength = 20

// indexEntry is what put needs of a stored request.
type indexEntry struct {
	rowID             int64
	id                string
	requested         int64
	updated           int64
	location          *georeport.Point
	status            georeport.Status
	hidden            bool
	serviceCode       string
	jurisdiction      string
	agencyFolded      string
	objectType        string
	objectID          string
	detailedStatusSet string // the detailed status list between commas, as detailed_status_list
}

func entryOf(rowID int64, r *georeport.Request) indexEntry {
	e := indexEntry{
		rowID: rowID, id: r.ID, requested: unixOrNone(r.Requested.IsZero(), r.Requested.Unix()),
		updated: unixOrNone(r.Updated.IsZero(), r.Updated.Unix()), location: r.Location, status: r.Status,
		hidden: r.Visibility == georeport.Hidden, serviceCode: r.ServiceCode, jurisdiction: r.Jurisdiction,
		agencyFolded: foldAgency(r.AgencyResponsible), objectType: r.ServiceObjectType, objectID: r.ServiceObjectID,
	}
	e.detailedStatusSet = detailedStatusList(r.DetailedStatus)
	return e
}

func unixOrNone(absent bool, unix int64) int64 {
	if absent {
		return noTime
	}
	return unix
}

// put adds or replaces the requests, keeping order sorted. When an entry appears twice, the
// later one wins, as in an import.
func (m *memIndex) put(entries []indexEntry) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.putLocked(entries)
}

// makeRoom extends the arrays by row id up to slot.
func (m *memIndex) makeRoom(slot int32) {
	if need := int(slot) + 1 - len(m.rows); need > 0 {
		m.rows = grown(m.rows, need)
		m.filed = grown(m.filed, need)
		m.places = grown(m.places, need)
	}
	for int(slot) >= len(m.rows) {
		m.rows = append(m.rows, memRow{})
		m.filed = append(m.filed, noTime)
		m.places = append(m.places, georeport.Point{})
	}
}

// grown returns s with room for n more elements. A full slice grows by a sixteenth, not by
// the quarter or more of append. With append, the first request written after a load of
// 1,000,000 requests took the arrays by row id from 72 MB to 90 MB, and this way to 77 MB.
func grown[S ~[]E, E any](s S, n int) S {
	if len(s)+n <= cap(s) {
		return s
	}
	t := make(S, len(s), len(s)+max(n, len(s)/16, 1024))
	copy(t, s)
	return t
}

func (m *memIndex) putLocked(entries []indexEntry) {
	touched := make(map[int32]bool, len(entries))
	removed := map[listKey]map[int32]bool{} // rows that leave each list
	for i := range entries {
		e := &entries[i]
		slot := int32(e.rowID)
		m.makeRoom(slot)
		old := &m.rows[slot]
		if old.flags&rowPresent != 0 && !touched[slot] {
			// A replaced row may move in time or place or change its code or status, so it
			// leaves its lists and cell and comes back in its new place.
			for _, key := range listKeys(old) {
				if removed[key] == nil {
					removed[key] = map[int32]bool{}
				}
				removed[key][slot] = true
				if old.flags&rowHidden != 0 {
					m.hidden[key] = slices.DeleteFunc(m.hidden[key], func(s int32) bool { return s == slot })
				}
			}
			if old.flags&rowLocated != 0 {
				m.removeFromCell(slot, old)
			}
		}
		touched[slot] = true
		m.set(slot, e)
	}

	for key, slots := range removed {
		kept := m.lists[key][:0]
		for _, slot := range m.lists[key] {
			if !slots[slot] {
				kept = append(kept, slot)
			}
		}
		m.lists[key] = kept
	}
	added := map[listKey][]int32{}
	addedHidden := map[listKey][]int32{}
	addedCells := map[cellKey][]int32{}
	for slot := range touched {
		row := &m.rows[slot]
		for _, key := range listKeys(row) {
			added[key] = append(added[key], slot)
			if row.flags&rowHidden != 0 {
				addedHidden[key] = append(addedHidden[key], slot)
			}
		}
		if row.flags&rowLocated != 0 {
			key := m.cellOfSlot(slot)
			addedCells[key] = append(addedCells[key], slot)
			if row.flags&rowHidden != 0 {
				m.cellHidden[key]++
			}
		}
	}
	for key, slots := range added {
		m.lists[key] = m.insertOrdered(m.lists[key], slots)
	}
	for key, slots := range addedHidden {
		m.hidden[key] = m.insertOrdered(m.hidden[key], slots)
	}
	for key, slots := range addedCells {
		m.setCell(key, m.insertOrdered(m.cells[key].slots, slots))
	}
}

// setCell sets the rows of a cell, their filing times and their spots.
func (m *memIndex) setCell(key cellKey, slots []int32) {
	if len(slots) == 0 {
		delete(m.cells, key)
		return
	}
	old := m.cells[key]
	filed, spots := old.filed, old.spots
	if cap(filed) < len(slots) {
		filed = make([]int64, len(slots), cap(slots))
	}
	if cap(spots) < len(slots) {
		spots = make([]cellSpot, len(slots), cap(slots))
	}
	filed, spots = filed[:len(slots)], spots[:len(slots)]
	for i, slot := range slots {
		filed[i] = m.filed[slot]
		spots[i] = spotOf(key, m.places[slot])
	}
	m.cells[key] = cellRows{slots: slots, filed: filed, spots: spots}
}

func (m *memIndex) set(slot int32, e *indexEntry) {
	row := &m.rows[slot]
	newID := row.flags&rowPresent == 0 || string(m.idOf(row)) != e.id
	if newID {
		row.idOffset = uint32(len(m.ids))
		row.idLength = uint16(len(e.id))
		m.ids = append(grown(m.ids, len(e.id)), e.id...)
	}
	row.updated = e.updated
	m.filed[slot] = e.requested
	row.version++
	row.flags = rowPresent
	if newID {
		m.addID(slot)
	}
	if e.hidden {
		row.flags |= rowHidden
	}
	if e.location != nil {
		row.flags |= rowLocated
		m.places[slot] = *e.location
	}
	switch e.status {
	case georeport.StatusOpen:
		row.status = statusOpen
	case georeport.StatusClosed:
		row.status = statusClosed
	default:
		row.status = statusNone
	}
	row.code = m.codes.intern(e.serviceCode)
	row.jurisdiction = m.jurisdictions.intern(e.jurisdiction)
	row.agency = m.agencies.intern(e.agencyFolded)
	row.object = m.objects.intern(objectKey(e.objectType, e.objectID))
	row.detailed = 0
	for _, element := range strings.Split(strings.Trim(e.detailedStatusSet, ","), ",") {
		if element == "" {
			continue
		}
		n := m.detailed.intern(element)
		if n > 64 {
			m.detailedOverflow = true
			continue
		}
		row.detailed |= 1 << (n - 1)
	}
}

var idSeed = maphash.MakeSeed()

// addID enters the row's id in byID. When the table would be more than three quarters full,
// it first grows to the power of two above twice the entries. When it grew at half full to
// four times the entries, the table of 1,000,000 requests took 16 MB instead of 8 MB.
func (m *memIndex) addID(slot int32) {
	if 4*(m.byIDCount+1) > 3*len(m.byID) {
		old := m.byID
		m.byID = make([]int32, max(1024, 1<<bits.Len(uint(2*(m.byIDCount+1)))))
		m.byIDCount = 0
		for _, s := range old {
			if s != 0 && m.rows[s].flags&rowPresent != 0 {
				m.placeID(s)
			}
		}
	}
	m.placeID(slot)
}

func (m *memIndex) placeID(slot int32) {
	mask := uint64(len(m.byID) - 1)
	for i := maphash.Bytes(idSeed, m.idOf(&m.rows[slot])) & mask; ; i = (i + 1) & mask {
		if m.byID[i] == 0 {
			m.byID[i] = slot
			m.byIDCount++
			return
		}
	}
}

// lookupID returns the row id and version of the request with the id.
func (m *memIndex) lookupID(id string) (rowID int64, version uint32, ok bool) {
	if m == nil {
		return 0, 0, false
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if len(m.byID) == 0 {
		return 0, 0, false
	}
	mask := uint64(len(m.byID) - 1)
	for i := maphash.String(idSeed, id) & mask; m.byID[i] != 0; i = (i + 1) & mask {
		row := &m.rows[m.byID[i]]
		if row.flags&rowPresent != 0 && string(m.idOf(row)) == id {
			return int64(m.byID[i]), row.version, true
		}
	}
	return 0, 0, false
}

// dropOthers deletes from byRowID each request whose id is not the one that the index has
// under its row id.
func (m *memIndex) dropOthers(byRowID map[int64]*georeport.Request) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for rowID, r := range byRowID {
		if rowID <= 0 || rowID >= int64(len(m.rows)) || m.rows[rowID].flags&rowPresent == 0 ||
			string(m.idOf(&m.rows[rowID])) != r.ID {
			delete(byRowID, rowID)
		}
	}
}

// idsOf returns the service_request_id that the index has under each row id, or "" for a
// row id that it does not have.
func (m *memIndex) idsOf(rowIDs []int64) []string {
	ids := make([]string, len(rowIDs))
	m.mu.RLock()
	defer m.mu.RUnlock()
	for i, rowID := range rowIDs {
		if rowID > 0 && rowID < int64(len(m.rows)) && m.rows[rowID].flags&rowPresent != 0 {
			ids[i] = string(m.idOf(&m.rows[rowID]))
		}
	}
	return ids
}

func objectKey(objectType, objectID string) string {
	if objectType == "" && objectID == "" {
		return ""
	}
	return objectType + "\x00" + objectID
}

func (m *memIndex) idOf(row *memRow) []byte {
	return m.ids[row.idOffset : row.idOffset+uint32(row.idLength)]
}

func (m *memIndex) cellOfSlot(slot int32) cellKey {
	return cellOf(m.places[slot].Lat, m.places[slot].Long)
}

// removeFromCell takes the row out of the cell where it was filed.
func (m *memIndex) removeFromCell(slot int32, row *memRow) {
	key := m.cellOfSlot(slot)
	cell := m.cells[key].slots
	if i := slices.Index(cell, slot); i >= 0 {
		m.setCell(key, slices.Delete(cell, i, i+1))
	}
	if row.flags&rowHidden != 0 {
		m.cellHidden[key]--
	}
}

// compareSlots orders by filing time, then by service_request_id, ascending.
func (m *memIndex) compareSlots(a, b int32) int {
	if ta, tb := m.filed[a], m.filed[b]; ta != tb {
		if ta < tb {
			return -1
		}
		return 1
	}
	return bytes.Compare(m.idOf(&m.rows[a]), m.idOf(&m.rows[b]))
}

// insertOrdered adds slots to a sorted list and returns it: one at a time where they go
// when few, else by sorting them and merging them into the part of the list from where the
// first of them goes. New requests go at the end, so that part is short.
func (m *memIndex) insertOrdered(list, slots []int32) []int32 {
	if len(slots) == 0 {
		return list
	}
	if len(slots) <= 8 {
		for _, slot := range slots {
			i, _ := slices.BinarySearchFunc(list, slot, m.compareSlots)
			list = slices.Insert(list, i, slot)
		}
		return list
	}
	slices.SortFunc(slots, m.compareSlots)
	from, _ := slices.BinarySearchFunc(list, slots[0], m.compareSlots)
	tail := slices.Clone(list[from:])
	list = list[:from]
	i, j := 0, 0
	for i < len(tail) && j < len(slots) {
		if m.compareSlots(tail[i], slots[j]) <= 0 {
			list = append(list, tail[i])
			i++
		} else {
			list = append(list, slots[j])
			j++
		}
	}
	list = append(list, tail[i:]...)
	return append(list, slots[j:]...)
}

// load adds requests for the first load of a store without ordering the lists, and
// finishLoad then sorts each list once. Merging batch after batch would copy them each time.
func (m *memIndex) load(entries []indexEntry) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var present []indexEntry // rows that writes of this process put in before the load
	for i := range entries {
		e := &entries[i]
		slot := int32(e.rowID)
		m.makeRoom(slot)
		if m.rows[slot].flags&rowPresent != 0 {
			present = append(present, *e)
			continue
		}
		m.set(slot, e)
		row := &m.rows[slot]
		for _, key := range listKeys(row) {
			m.lists[key] = append(m.lists[key], slot)
			if row.flags&rowHidden != 0 {
				m.hidden[key] = append(m.hidden[key], slot)
			}
		}
		if row.flags&rowLocated != 0 {
			key := m.cellOfSlot(slot)
			m.cells[key] = cellRows{slots: append(m.cells[key].slots, slot)}
			if row.flags&rowHidden != 0 {
				m.cellHidden[key]++
			}
		}
	}
	// put keeps lists ordered only if they were, but finishLoad orders them all.
	m.putLocked(present)
}

// finishLoad orders the lists and cells after load, and trims their spare capacity.
func (m *memIndex) finishLoad() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for key, list := range m.lists {
		slices.SortFunc(list, m.compareSlots)
		m.lists[key] = slices.Clip(slices.Clone(list))
	}
	for key, cell := range m.cells {
		slices.SortFunc(cell.slots, m.compareSlots)
		m.setCell(key, slices.Clip(slices.Clone(cell.slots)))
	}
	for _, list := range m.hidden {
		slices.SortFunc(list, m.compareSlots)
	}
	// The arrays by row id keep the spare room of reserve for new requests.
}

// supports reports whether the index can run q. Queries by id or by words go to SQL, and so
// does every query of a store without an index.
func (m *memIndex) supports(q *georeport.Query) bool {
	return len(q.Words) == 0 && m.supportsAmong(q)
}

// supportsAmong reports whether findAmong can run q on the rows that have q's words.
func (m *memIndex) supportsAmong(q *georeport.Query) bool {
	if m == nil || len(q.IDs) > 0 {
		return false
	}
	if (q.ServiceObjectID == "") != (q.ServiceObjectType == "") {
		return false
	}
	return len(q.DetailedStatuses) == 0 || !m.detailedOverflow
}

// findAmong runs q, which supportsAmong accepts, on the rows of slots, the rows whose search
// words match q's words, and returns the page and the count of the matches. It reports false
// when the index does not have one of the rows yet, because another process wrote it since
// the last refresh, or this store's commit has not put it yet.
func (m *memIndex) findAmong(q *georeport.Query, slots []int32) (memResult, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()

	for _, slot := range slots {
		if slot <= 0 || int(slot) >= len(m.rows) || m.rows[slot].flags&rowPresent == 0 {
			return memResult{}, false
		}
	}
	f, ok := m.filterOf(q)
	if !ok {
		return memResult{}, true
	}
	offset := max(q.Offset, 0)
	want := -1 // every match, sorted at the end
	if q.Limit > 0 {
		want = offset + q.Limit
	}
	nearest := q.Circle != nil && q.Order == georeport.NearestFirst
	before := func(a, b memMatch) int {
		if nearest && a.distance != b.distance {
			return cmp.Compare(a.distance, b.distance)
		}
		return -m.compareSlots(a.slot, b.slot)
	}

	var result memResult
	var best []memMatch // the first want matches so far, in the page's order
	for _, slot := range slots {
		if !f.matches(&m.rows[slot], m.filed[slot]) {
			continue
		}
		match := memMatch{slot: slot}
		if q.Circle != nil || q.BBox != nil {
			if m.rows[slot].flags&rowLocated == 0 {
				continue
			}
			p := m.places[slot]
			if q.BBox != nil && !q.BBox.Contains(p) {
				continue
			}
			if q.Circle != nil {
				if match.distance = georeport.Distance(q.Circle.Center, p); match.distance > q.Circle.Radius {
					continue
				}
			}
		}
		result.total++
		if want < 0 {
			best = append(best, match)
			continue
		}
		best = keepBest(best, match, want, before)
	}
	if want < 0 {
		slices.SortFunc(best, before)
	}

	if offset >= len(best) {
		return result, true
	}
	for _, match := range best[offset:] {
		result.rowIDs = append(result.rowIDs, int64(match.slot))
		result.versions = append(result.versions, m.rows[match.slot].version)
		if q.Circle != nil {
			result.distances = append(result.distances, match.distance)
		}
	}
	return result, true
}

// keepBest adds match to best, the first matches in the order of before, and keeps at most
// want of them.
func keepBest(best []memMatch, match memMatch, want int, before func(a, b memMatch) int) []memMatch {
	if len(best) == want && before(match, best[want-1]) >= 0 {
		return best
	}
	at, _ := slices.BinarySearchFunc(best, match, before)
	if len(best) == want {
		best = best[:want-1]
	}
	return slices.Insert(best, at, match)
}

// memMatch is a match of a query, with its distance when the query has a circle.
type memMatch struct {
	slot     int32
	distance float64
}

// memResult is what find returns: the row ids of the page in order, their distances, and
// the count of all matches.
type memResult struct {
	rowIDs    []int64
	versions  []uint32
	distances []float64
	total     int
}

// find runs q, which supports accepts, and returns the page and the count of its matches.
func (m *memIndex) find(q *georeport.Query) memResult {
	m.mu.RLock()
	defer m.mu.RUnlock()

	filter, ok := m.filterOf(q)
	if !ok {
		return memResult{}
	}
	if q.Circle != nil || q.BBox != nil {
		return m.findInArea(q, filter)
	}
	return m.findInTime(q, filter)
}

// memFilter is a query's conditions other than its area, resolved to interned numbers.
type memFilter struct {
	includeHidden            bool
	codes                    []uint32
	statuses                 uint8 // bit per status
	requestedFrom, requested int64
	updatedFrom, updatedTo   int64
	hasRequested, hasUpdated [2]bool
	jurisdiction             uint32
	hasJurisdiction          bool
	agency                   uint32
	hasAgency                bool
	object                   uint32
	hasObject                bool
	detailed                 uint64
}

// filterOf resolves q's conditions. It reports false when a condition names a value that no
// stored request has, so that nothing can match.
func (m *memIndex) filterOf(q *georeport.Query) (memFilter, bool) {
	f := memFilter{includeHidden: q.IncludeHidden}
	for _, code := range q.ServiceCodes {
		if n, ok := m.codes.lookup(code); ok {
			f.codes = append(f.codes, n)
		}
	}
	if len(q.ServiceCodes) > 0 && len(f.codes) == 0 {
		return f, false
	}
	for _, st := range q.Statuses {
		switch st {
		case georeport.StatusOpen:
			f.statuses |= 1 << statusOpen
		case georeport.StatusClosed:
			f.statuses |= 1 << statusClosed
		}
	}
	if len(q.Statuses) > 0 && f.statuses == 0 {
		return f, false
	}
	if !q.RequestedFrom.IsZero() {
		f.requestedFrom, f.hasRequested[0] = q.RequestedFrom.Unix(), true
	}
	if !q.RequestedTo.IsZero() {
		f.requested, f.hasRequested[1] = q.RequestedTo.Unix(), true
	}
	if !q.UpdatedFrom.IsZero() {
		f.updatedFrom, f.hasUpdated[0] = q.UpdatedFrom.Unix(), true
	}
	if !q.UpdatedTo.IsZero() {
		f.updatedTo, f.hasUpdated[1] = q.UpdatedTo.Unix(), true
	}
	var ok bool
	if q.Jurisdiction != "" {
		if f.jurisdiction, ok = m.jurisdictions.lookup(q.Jurisdiction); !ok {
			return f, false
		}
		f.hasJurisdiction = true
	}
	if q.Agency != "" {
		if f.agency, ok = m.agencies.lookup(foldAgency(q.Agency)); !ok {
			return f, false
		}
		f.hasAgency = true
	}
	if q.ServiceObjectType != "" {
		if f.object, ok = m.objects.lookup(objectKey(q.ServiceObjectType, q.ServiceObjectID)); !ok {
			return f, false
		}
		f.hasObject = true
	}
	for _, d := range q.DetailedStatuses {
		if n, ok := m.detailed.lookup(d); ok && n > 0 && n <= 64 {
			f.detailed |= 1 << (n - 1)
		}
	}
	if len(q.DetailedStatuses) > 0 && f.detailed == 0 {
		return f, false
	}
	return f, true
}

// matches reports whether the row meets every condition of f.
func (f *memFilter) matches(row *memRow, requested int64) bool {
	if row.flags&rowPresent == 0 || (row.flags&rowHidden != 0 && !f.includeHidden) {
		return false
	}
	if f.statuses != 0 && f.statuses&(1<<row.status) == 0 {
		return false
	}
	if len(f.codes) > 0 && !slices.Contains(f.codes, row.code) {
		return false
	}
	if (f.hasRequested[0] || f.hasRequested[1]) && requested == noTime {
		return false
	}
	if f.hasRequested[0] && requested < f.requestedFrom || f.hasRequested[1] && requested > f.requested {
		return false
	}
	if (f.hasUpdated[0] || f.hasUpdated[1]) && row.updated == noTime {
		return false
	}
	if f.hasUpdated[0] && row.updated < f.updatedFrom || f.hasUpdated[1] && row.updated > f.updatedTo {
		return false
	}
	if f.hasJurisdiction && row.jurisdiction != f.jurisdiction {
		return false
	}
	if f.hasAgency && row.agency != f.agency {
		return false
	}
	if f.hasObject && row.object != f.object {
		return false
	}
	if f.detailed != 0 && row.detailed&f.detailed == 0 {
		return false
	}
	return true
}

// findInTime walks the requests of the filing window newest first, in the fewest lists
// that hold every possible match.
//
// When the lists match f exactly, as for a service code and status in a filing window, it
// counts the matches from the lengths of the lists' windows, less their hidden rows, and
// stops walking once the page is full.
func (m *memIndex) findInTime(q *georeport.Query, f memFilter) memResult {
	var lists [][]int32
	counted, total := f.listsMatchExactly(), 0
	for _, key := range f.listKeys() {
		if list := m.lists[key]; len(list) > 0 {
			lists = append(lists, m.window(list, f))
			total += len(lists[len(lists)-1])
			if !f.includeHidden {
				total -= len(m.window(m.hidden[key], f))
			}
		}
	}

	var result memResult
	offset, limit := max(q.Offset, 0), q.Limit
	done := func() memResult {
		if counted && limit > 0 {
			result.total = total
		}
		return result
	}
	// heads[i] is the position of the next, older, row of lists[i].
	heads := make([]int, len(lists))
	for i, list := range lists {
		heads[i] = len(list) - 1
	}
	for {
		best := -1
		for i, list := range lists {
			if heads[i] >= 0 && (best < 0 || m.compareSlots(list[heads[i]], lists[best][heads[best]]) > 0) {
				best = i
			}
		}
		if best < 0 {
			return done()
		}
		slot := lists[best][heads[best]]
		heads[best]--
		if !f.matches(&m.rows[slot], m.filed[slot]) {
			continue
		}
		if result.total >= offset && (limit <= 0 || len(result.rowIDs) < limit) {
			result.rowIDs = append(result.rowIDs, int64(slot))
			result.versions = append(result.versions, m.rows[slot].version)
		}
		result.total++
		if counted && limit > 0 && len(result.rowIDs) == limit {
			return done()
		}
	}
}

// listsMatchExactly reports whether every row in the filing window of f's lists matches f,
// apart from hidden rows, because the lists express all of f's conditions.
func (f *memFilter) listsMatchExactly() bool {
	return !f.hasUpdated[0] && !f.hasUpdated[1] && !f.hasJurisdiction && !f.hasAgency && !f.hasObject && f.detailed == 0
}

// listKeys returns the lists that together hold every row that f can match: one per pair
// of service code and status when f names both, else one per code or per status, else the
// list of all requests. The lists of one kind are disjoint.
func (f *memFilter) listKeys() []listKey {
	var statuses []uint8
	for _, st := range []uint8{statusNone, statusOpen, statusClosed} {
		if f.statuses&(1<<st) != 0 {
			statuses = append(statuses, st)
		}
	}
	var keys []listKey
	switch {
	case len(f.codes) > 0 && len(statuses) > 0:
		for _, code := range f.codes {
			for _, st := range statuses {
				keys = append(keys, listKey{kind: listCodeStatus, value: uint64(code)<<8 | uint64(st)})
			}
		}
	case len(f.codes) > 0:
		for _, code := range f.codes {
			keys = append(keys, listKey{kind: listCode, value: uint64(code)})
		}
	case len(statuses) > 0:
		for _, st := range statuses {
			keys = append(keys, listKey{kind: listStatus, value: uint64(st)})
		}
	default:
		keys = append(keys, listKey{kind: listAll})
	}
	return slices.Compact(keys)
}

// window returns the part of a sorted list within f's filing window.
func (m *memIndex) window(list []int32, f memFilter) []int32 {
	lo, hi := 0, len(list)
	if f.hasRequested[0] {
		lo = m.firstFiledAt(list, f.requestedFrom)
	} else if f.hasRequested[1] {
		// A window leaves out the requests without a filing time, which sort first.
		lo = m.firstFiledAt(list, noTime+1)
	}
	if f.hasRequested[1] {
		hi = m.firstFiledAt(list, f.requested+1)
	}
	if lo > hi {
		return nil
	}
	return list[lo:hi]
}

// timeWindow returns the positions from which and up to which the ascending filing times
// lie in f's filing window.
func timeWindow(filed []int64, f memFilter) (lo, hi int) {
	lo, hi = 0, len(filed)
	if f.hasRequested[0] {
		lo = firstAtOrAfter(filed, f.requestedFrom)
	} else if f.hasRequested[1] {
		lo = firstAtOrAfter(filed, noTime+1)
	}
	if f.hasRequested[1] {
		hi = firstAtOrAfter(filed, f.requested+1)
	}
	return lo, max(lo, hi)
}

// firstAtOrAfter returns the position of the first of the ascending times that is t or
// later.
func firstAtOrAfter(times []int64, t int64) int {
	if len(times) == 0 || times[0] >= t {
		return 0
	}
	if times[len(times)-1] < t {
		return len(times)
	}
	lo, hi := 0, len(times) // times[lo] is before t, times[hi-1] is not
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		if times[mid] < t {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// firstFiledAt returns the position of the first row of a sorted list filed at t or later.
func (m *memIndex) firstFiledAt(list []int32, t int64) int {
	if len(list) == 0 || m.filed[list[0]] >= t {
		return 0
	}
	if m.filed[list[len(list)-1]] < t {
		return len(list)
	}
	lo, hi := 0, len(list) // list[lo] is before t, list[hi-1] is not
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		if m.filed[list[mid]] < t {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// areaCell is a grid cell that an area query meets: the part of its list within the
// filing window, and whether every row of the cell lies inside the area.
type areaCell struct {
	key  cellKey
	rows []int32
	// filed and spots are those of rows, or nil for a cell that finishLoad has not ordered.
	filed []int64
	spots []cellSpot
	// box is the query's box in the spot units of the cell, when the query has one and the
	// cell has spots.
	box spotBox
	// inCircle and inBox are set when the cell lies inside the query's circle or box, or the
	// query has none. inside is set when both are.
	inCircle, inBox, inside bool
	// simple is set when every row of rows matches without its own check, because the cell
	// is inside the area and the query has no condition but its filing window.
	simple bool
	// plain is set when the query's only conditions on a row of rows, other than its
	// area, are ones the filing window already met.
	plain bool
	// nearest is at most the distance from the circle centre to any point of the cell.
	nearest float64
}

// cellEpsilon widens a cell by about a millimetre when it is tested against an area, so that
// rounding in cellOf cannot leave a row outside the cell it is filed in.
const cellEpsilon = 1e-8

// findInArea runs a query with a box or circle. It counts the matches in the cells that the
// area meets, then reads only the rows the page needs: newest first by merging the cells, or
// nearest first from the cells closest to the centre.
func (m *memIndex) findInArea(q *georeport.Query, f memFilter) memResult {
	scratch := areaScratches.Get().(*areaScratch)
	defer scratch.release()
	near := newNearCheck(q)
	scratch.cells = m.areaCells(scratch.cells[:0], q, f, near)
	cells := scratch.cells
	total := 0
	for i := range cells {
		c := &cells[i]
		if c.simple {
			total += len(c.rows)
			continue
		}
		for j, slot := range c.rows {
			if c.plain {
				if inside, decided := m.quickMatch(q, near, c, j); decided {
					if inside {
						total++
					}
					continue
				}
			}
			if _, ok := m.areaMatch(q, &f, c, slot); ok {
				total++
			}
		}
	}

	result := memResult{total: total}
	offset := min(max(q.Offset, 0), total)
	want := total
	if q.Limit > 0 {
		want = min(total, offset+q.Limit)
	}
	if want <= offset {
		return result
	}
	var page []memMatch
	if q.Circle != nil && q.Order == georeport.NearestFirst {
		page = m.nearestInCells(q, &f, cells, want, near, scratch)
	} else {
		page = m.newestInCells(q, &f, cells, want, scratch)
	}
	result.rowIDs = make([]int64, 0, len(page)-offset)
	result.versions = make([]uint32, 0, len(page)-offset)
	if q.Circle != nil {
		result.distances = make([]float64, 0, len(page)-offset)
	}
	for _, match := range page[offset:] {
		result.rowIDs = append(result.rowIDs, int64(match.slot))
		result.versions = append(result.versions, m.rows[match.slot].version)
		if q.Circle != nil {
			result.distances = append(result.distances, match.distance)
		}
	}
	scratch.page = page[:0]
	return result
}

// areaScratch contains the slices of an area query that grow with the number of cells it
// meets, for reuse. A 2 by 2 km box meets about 100 cells, and allocating them anew made most
// of the garbage of such a query.
type areaScratch struct {
	cells        []areaCell
	heads, order []int
	// page holds the matches of the page until findInArea copies their row ids out. Made
	// anew, it was an eighth of what a bbox page allocated.
	page []memMatch
}

var areaScratches = sync.Pool{New: func() any { return new(areaScratch) }}

// release returns s to areaScratches, without the references to lists that would keep
// replaced ones alive, unless it grew past what common queries need.
func (s *areaScratch) release() {
	if cap(s.cells) > 1<<14 {
		return
	}
	clear(s.cells)
	if cap(s.page) > 1<<14 {
		s.page = nil
	}
	areaScratches.Put(s)
}

// areaCells appends to cells the cells that q's area meets and that have rows in its filing
// window. near, when not nil, bounds the distances of cell centres instead of measuring them
// exactly.
func (m *memIndex) areaCells(cells []areaCell, q *georeport.Query, f memFilter, near *nearCheck) []areaCell {
	var boxes []georeport.BBox
	if q.Circle != nil {
		boxes = q.Circle.Bounds()
	} else {
		boxes = []georeport.BBox{*q.BBox}
	}
	timeOnly := len(f.codes) == 0 && f.statuses == 0 && !f.hasUpdated[0] && !f.hasUpdated[1] &&
		!f.hasJurisdiction && !f.hasAgency && !f.hasObject && f.detailed == 0

	// add adds a cell that the area may meet. half is the distance from the centre of a cell
	// of its grid row to the cell's farthest corner, for a circle.
	add := func(key cellKey, cell cellRows, half float64) {
		c := areaCell{key: key, inCircle: true, inBox: true}
		if len(cell.filed) == len(cell.slots) {
			lo, hi := timeWindow(cell.filed, f)
			c.rows, c.filed, c.spots = cell.slots[lo:hi], cell.filed[lo:hi], cell.spots[lo:hi]
		} else {
			c.rows = m.window(cell.slots, f) // a cell that load filled and finishLoad has not ordered
		}
		if len(c.rows) == 0 {
			return
		}
		rect := georeport.BBox{
			MinLat: float64(key.lat)*cellLat - cellEpsilon, MaxLat: float64(key.lat+1)*cellLat + cellEpsilon,
			MinLong: float64(key.long)*cellLong - cellEpsilon, MaxLong: float64(key.long+1)*cellLong + cellEpsilon,
		}
		if q.Circle != nil {
			// By the triangle inequality, every point of the cell is within half of its
			// centre. A centimetre more absorbs rounding.
			const slack = 0.01
			var low, high float64
			if near != nil {
				low, high = near.bounds(rectCentre(rect))
			} else {
				low = georeport.Distance(q.Circle.Center, rectCentre(rect))
				high = low
			}
			if low-half-slack > q.Circle.Radius {
				return
			}
			c.nearest = low - half - slack
			c.inCircle = high+half+slack < q.Circle.Radius
		}
		if b := q.BBox; b != nil {
			if rect.MaxLat < b.MinLat || rect.MinLat > b.MaxLat || rect.MaxLong < b.MinLong || rect.MinLong > b.MaxLong {
				return
			}
			c.inBox = rect.MinLat >= b.MinLat && rect.MaxLat <= b.MaxLat && rect.MinLong >= b.MinLong && rect.MaxLong <= b.MaxLong
			if !c.inBox && c.spots != nil {
				c.box = spotBoxOf(b, key)
			}
		}
		c.inside = c.inCircle && c.inBox
		c.plain = timeOnly && (f.includeHidden || m.cellHidden[key] == 0)
		c.simple = c.inside && c.plain
		cells = append(cells, c)
	}
	for _, box := range boxes {
		low, high := cellOf(box.MinLat, box.MinLong), cellOf(box.MaxLat, box.MaxLong)
		span := (int64(high.lat) - int64(low.lat) + 1) * (int64(high.long) - int64(low.long) + 1)
		if span > int64(len(m.cells)) {
			// A box larger than the populated grid: walk the cells that exist instead.
			for key, cell := range m.cells {
				if key.lat >= low.lat && key.lat <= high.lat && key.long >= low.long && key.long <= high.long {
					add(key, cell, rowHalfDiagonal(key.lat))
				}
			}
			continue
		}
		for lat := low.lat; lat <= high.lat; lat++ {
			half := 0.0
			if q.Circle != nil {
				half = rowHalfDiagonal(lat)
			}
			for long := low.long; long <= high.long; long++ {
				if cell, ok := m.cells[cellKey{lat, long}]; ok {
					add(cellKey{lat, long}, cell, half)
				}
			}
		}
	}
	return cells
}

// rowHalfDiagonal returns halfDiagonal of the cells of a grid row, widened by cellEpsilon as
// areaCells widens them. Cells of one row differ only in longitude, so they share it.
func rowHalfDiagonal(lat int32) float64 {
	return halfDiagonal(georeport.BBox{
		MinLat: float64(lat)*cellLat - cellEpsilon, MaxLat: float64(lat+1)*cellLat + cellEpsilon,
		MinLong: -cellEpsilon, MaxLong: cellLong + cellEpsilon,
	})
}

func rectCentre(rect georeport.BBox) georeport.Point {
	return georeport.Point{Lat: (rect.MinLat + rect.MaxLat) / 2, Long: (rect.MinLong + rect.MaxLong) / 2}
}

// halfDiagonal returns the distance from the centre of rect to its farthest corner. The two
// corners on one parallel are equally far, so one of each parallel is measured.
func halfDiagonal(rect georeport.BBox) float64 {
	centre := rectCentre(rect)
	return max(georeport.Distance(centre, georeport.Point{Lat: rect.MinLat, Long: rect.MinLong}),
		georeport.Distance(centre, georeport.Point{Lat: rect.MaxLat, Long: rect.MinLong}))
}

// quickMatch decides, for row j of a plain cell c, whether the row lies in q's area, from
// its spot or else from the flat distance to its place, without measuring a distance on the
// sphere. decided is false when only areaMatch can tell.
func (m *memIndex) quickMatch(q *georeport.Query, near *nearCheck, c *areaCell, j int) (inside, decided bool) {
	switch {
	case near != nil:
		if c.spots != nil {
			if inside, decided := near.checkSpot(c.spots[j].place(c.key)); decided {
				return inside, true
			}
		}
		return near.check(m.places[c.rows[j]])
	case q.Circle == nil && c.spots != nil:
		if c.inBox {
			return true, true
		}
		return c.box.test(c.spots[j])
	}
	return false, false
}

// areaMatch reports whether the row of slot in cell c matches q, and its distance from the
// circle centre when q has a circle.
func (m *memIndex) areaMatch(q *georeport.Query, f *memFilter, c *areaCell, slot int32) (float64, bool) {
	if !c.plain && !f.matches(&m.rows[slot], m.filed[slot]) {
		return 0, false
	}
	p := m.places[slot]
	if !c.inBox && !q.BBox.Contains(p) {
		return 0, false
	}
	if q.Circle != nil {
		d := georeport.Distance(q.Circle.Center, p)
		return d, c.inCircle || d <= q.Circle.Radius
	}
	return 0, true
}

// newestInCells returns the first want matches in the order of NewestFirst, merging the
// cells' lists from their newest ends.
func (m *memIndex) newestInCells(q *georeport.Query, f *memFilter, cells []areaCell, want int, scratch *areaScratch) []memMatch {
	heads := slices.Grow(scratch.heads[:0], len(cells))[:len(cells)] // the next, older, position in each cell
	order := slices.Grow(scratch.order[:0], len(cells))
	scratch.heads = heads
	for i := range cells {
		heads[i] = len(cells[i].rows) - 1
		order = append(order, i)
	}
	defer func() { scratch.order = order[:0] }()
	// order is a heap of cell numbers with the newest head on top. The cells' own filing
	// times decide, unless they are equal or the cell has none.
	newer := func(a, b int) bool {
		ca, cb := &cells[a], &cells[b]
		if ca.filed != nil && cb.filed != nil {
			if ta, tb := ca.filed[heads[a]], cb.filed[heads[b]]; ta != tb {
				return ta > tb
			}
		}
		return m.compareSlots(ca.rows[heads[a]], cb.rows[heads[b]]) > 0
	}
	heapify(order, newer)
	page := slices.Grow(scratch.page[:0], want)
	for len(page) < want && len(order) > 0 {
		n := order[0]
		c := &cells[n]
		slot := c.rows[heads[n]]
		if q.Circle == nil && c.plain {
			// Without a circle there is no distance to give, so the spot may decide.
			inside, decided := m.quickMatch(q, nil, c, heads[n])
			if !decided {
				_, inside = m.areaMatch(q, f, c, slot)
			}
			if inside {
				page = append(page, memMatch{slot: slot})
			}
		} else if d, ok := m.areaMatch(q, f, c, slot); ok {
			page = append(page, memMatch{slot: slot, distance: d})
		}
		heads[n]--
		if heads[n] < 0 {
			order[0] = order[len(order)-1]
			order = order[:len(order)-1]
		}
		siftDown(order, 0, newer)
	}
	return page
}

// heapify orders the cell numbers of heap as a binary heap, with the number that first puts
// before all others on top.
func heapify(heap []int, first func(a, b int) bool) {
	for i := len(heap)/2 - 1; i >= 0; i-- {
		siftDown(heap, i, first)
	}
}

// siftDown moves the cell number at i of heap down to its place in the heap.
func siftDown(heap []int, i int, first func(a, b int) bool) {
	for {
		top := i
		for _, child := range [2]int{2*i + 1, 2*i + 2} {
			if child < len(heap) && first(heap[child], heap[top]) {
				top = child
			}
		}
		if top == i {
			return
		}
		heap[i], heap[top] = heap[top], heap[i]
		i = top
	}
}

// nearestInCells returns the first want matches in the order of NearestFirst. It visits the
// cells from the nearest and stops at the first cell that is farther than the want-th match
// found so far. A heap orders the cells, because a page usually needs only the few nearest of
// the hundred or more that a circle meets.
func (m *memIndex) nearestInCells(q *georeport.Query, f *memFilter, cells []areaCell, want int, near *nearCheck, scratch *areaScratch) []memMatch {
	heap := scratch.order[:0]
	for i := range cells {
		heap = append(heap, i)
	}
	defer func() { scratch.order = heap[:0] }()
	nearer := func(a, b int) bool { return cells[a].nearest < cells[b].nearest }
	heapify(heap, nearer)

	before := func(a, b memMatch) int {
		if a.distance != b.distance {
			return cmp.Compare(a.distance, b.distance)
		}
		return -m.compareSlots(a.slot, b.slot)
	}
	best := scratch.page[:0] // sorted nearest first, at most want long
	for len(heap) > 0 {
		c := &cells[heap[0]]
		heap[0] = heap[len(heap)-1]
		heap = heap[:len(heap)-1]
		siftDown(heap, 0, nearer)
		if len(best) == want && c.nearest > best[want-1].distance {
			break
		}
		for j, slot := range c.rows {
			if near != nil && len(best) == want {
				// A row whose flat distance puts it beyond the last match for sure is not
				// measured exactly. Its spot gives that bound without reading its place.
				if c.spots != nil {
					if low, _ := near.bounds(c.spots[j].place(c.key)); low-spotError > best[want-1].distance {
						continue
					}
				} else if low, _ := near.bounds(m.places[slot]); low > best[want-1].distance {
					continue
				}
			}
			d, ok := m.areaMatch(q, f, c, slot)
			if !ok {
				continue
			}
			best = keepBest(best, memMatch{slot: slot, distance: d}, want, before)
		}
	}
	return best
}

// nearCheck decides from a flat (equirectangular) distance whether a place is inside a circle
// of at most 5 km, unless the place is within a margin of the edge. The margin is 4r²/R plus
// 1.5 m for radius r, an estimate of the flat distance's error away from the poles that
// TestNearCheckAgreesWithDistance checks against the exact distance.
type nearCheck struct {
	lat, long     float64
	metresPerLong float64
	low, high     float64 // squared flat distances below and above which a place is decided
	// spotLow and spotHigh are low and high for the place of a spot, less and plus
	// spotError.
	spotLow, spotHigh float64
}

const (
	metresPerDegree = georeport.EarthRadius * math.Pi / 180
	maxNearRadius   = 5000
	maxNearLat      = 70
)

// newNearCheck returns a check for q's circle, or nil when q has a box too, or the circle is
// large, near a pole or crosses the antimeridian.
func newNearCheck(q *georeport.Query) *nearCheck {
	c := q.Circle
	if c == nil || q.BBox != nil || c.Radius > maxNearRadius || math.Abs(c.Center.Lat) > maxNearLat || len(c.Bounds()) != 1 {
		return nil
	}
	margin := 4*c.Radius*c.Radius/georeport.EarthRadius + 1.5
	low, high := max(0, c.Radius-margin), c.Radius+margin
	spotLow, spotHigh := max(0, low-spotError), high+spotError
	return &nearCheck{
		lat: c.Center.Lat, long: c.Center.Long,
		metresPerLong: metresPerDegree * math.Cos(c.Center.Lat*math.Pi/180),
		low:           low * low, high: high * high,
		spotLow: spotLow * spotLow, spotHigh: spotHigh * spotHigh,
	}
}

// bounds returns a lower and an upper bound of the distance from the centre to p: the flat
// distance less and plus the margin of the flat distance's error at that distance, which
// TestNearBoundsContainDistance checks. Farther away, it measures exactly.
func (n *nearCheck) bounds(p georeport.Point) (low, high float64) {
	dy := (p.Lat - n.lat) * metresPerDegree
	dx := (p.Long - n.long) * n.metresPerLong
	d := math.Sqrt(dx*dx + dy*dy)
	if d > maxBoundsDistance {
		exact := georeport.Distance(georeport.Point{Lat: n.lat, Long: n.long}, p)
		return exact, exact
	}
	margin := 4*d*d/georeport.EarthRadius + 1.5
	return d - margin, d + margin
}

// maxBoundsDistance is the largest flat distance that bounds widens by a margin instead of
// measuring exactly: the corner of the box around the largest circle that nearCheck takes.
const maxBoundsDistance = maxNearRadius * math.Sqrt2 * 1.01

// check returns whether p is inside the circle, and whether p is far enough from the edge
// for the flat distance to decide it.
func (n *nearCheck) check(p georeport.Point) (inside, decided bool) {
	return n.between(p, n.low, n.high)
}

// checkSpot decides as check does, from the place of a row's spot, with margins that widen
// by spotError so that the decision holds for the row itself.
func (n *nearCheck) checkSpot(p georeport.Point) (inside, decided bool) {
	return n.between(p, n.spotLow, n.spotHigh)
}

// between decides p by its squared flat distance: inside below low, outside above high.
func (n *nearCheck) between(p georeport.Point, low, high float64) (inside, decided bool) {
	dy := (p.Lat - n.lat) * metresPerDegree
	dx := (p.Long - n.long) * n.metresPerLong
	d := dx*dx + dy*dy
	switch {
	case d < low:
		return true, true
	case d > high:
		return false, true
	}
	return false, false
}
