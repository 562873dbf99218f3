// Package georeport is the domain of an Open311 GeoReport v2 server: service requests, the
// service catalog, request queries, the rules a new request must follow, the error kinds and
// the Store interface that the database packages implement. It imports nothing of HTTP or of
// any database.
//
// BUG(open311): Datetimes are kept to the second. Fractional seconds of imported values, such
// as Helsinki's expected_datetime 2015-03-20T05:10:41.818Z, are dropped, because every
// response writes seconds and a filter must find what a response shows.
package georeport
