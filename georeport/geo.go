package georeport

import "math"

// EarthRadius is the mean radius of the Earth in metres (IUGG), used for every distance.
const EarthRadius = 6_371_008.8

// Distance returns the great-circle distance between a and b in metres, on a sphere of
// EarthRadius.
func Distance(a, b Point) float64 {
	lat1, lat2 := radians(a.Lat), radians(b.Lat)
	dLat := lat2 - lat1
	dLong := radians(b.Long - a.Long)
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1)*math.Cos(lat2)*math.Sin(dLong/2)*math.Sin(dLong/2)
	return 2 * EarthRadius * math.Asin(math.Min(1, math.Sqrt(h)))
}

func radians(degrees float64) float64 { return degrees * math.Pi / 180 }

func degrees(radians float64) float64 { return radians * 180 / math.Pi }

// Bounds returns one or two boxes that together contain the circle: two when it crosses the
// antimeridian. Stores use them to narrow a circle query with a spatial index before they
// check the exact distance.
func (c *Circle) Bounds() []BBox {
	angle := c.Radius / EarthRadius
	minLat := c.Center.Lat - degrees(angle)
	maxLat := c.Center.Lat + degrees(angle)
	if minLat <= -90 || maxLat >= 90 {
		// The circle contains a pole, so it spans every longitude.
		return []BBox{{MinLong: -180, MinLat: math.Max(minLat, -90), MaxLong: 180, MaxLat: math.Min(maxLat, 90)}}
	}
	// The widest point of a circle on a sphere is not on its centre's parallel, and
	// asin(sin(angle)/cos(lat)) gives its longitude offset exactly.
	dLong := degrees(math.Asin(math.Min(1, math.Sin(angle)/math.Cos(radians(c.Center.Lat)))))
	west, east := c.Center.Long-dLong, c.Center.Long+dLong
	switch {
	case west < -180:
		return []BBox{
			{MinLong: -180, MinLat: minLat, MaxLong: east, MaxLat: maxLat},
			{MinLong: west + 360, MinLat: minLat, MaxLong: 180, MaxLat: maxLat},
		}
	case east > 180:
		return []BBox{
			{MinLong: west, MinLat: minLat, MaxLong: 180, MaxLat: maxLat},
			{MinLong: -180, MinLat: minLat, MaxLong: east - 360, MaxLat: maxLat},
		}
	}
	return []BBox{{MinLong: west, MinLat: minLat, MaxLong: east, MaxLat: maxLat}}
}
