package seed

import "github.com/open311-to-go/open311/georeport"

// The tables below are measured from the 1,380 requests that the City of Helsinki published
// from December 2014 to February 2016, in testdata/helsinki/requests.json. Counts are exact
// and TestTablesMatchHelsinki recounts them; quantiles and clusters are rounded.
// TestFitClusters with -fit prints the clusters again.

// weighted is a value and its count in the Helsinki data.
type weighted[T any] struct {
	value  T
	weight int
}

// Counts of the whole data.
const (
	helsinkiRequests        = 1380
	helsinkiOpen            = 21
	helsinkiWithMedia       = 586 // requests with a media_url
	helsinkiWithoutLocation = 26  // 21 at 0, 0 and 5 at 0, 0.034451 with the address "0"
	helsinkiWithAddress     = 1363
	helsinkiWithZipcode     = 929 // addresses such as "Sturenkatu 33, 00550 Helsinki, Suomi"
	helsinkiWithNotes       = 1339
)

// otherServiceCode is the demo catalog's "Other issue to be fixed". It also counts the 248
// Helsinki requests whose codes the demo catalog does not have, so that every generated
// request has a service of the catalog.
const otherServiceCode = "180"

// serviceCodes are the demo catalog's ten services.
var serviceCodes = []weighted[string]{
	{"171", 290}, {"180", 247 + 248}, {"198", 173}, {"172", 99}, {"246", 87}, {"199", 87},
	{"174", 81}, {"176", 38}, {"211", 20}, {"234", 10},
}

// openDetailedStatuses and closedDetailedStatuses are the detailed statuses of open and of
// closed requests.
var (
	openDetailedStatuses = []weighted[string]{
		{"IN_PROCESS", 12}, {"IN_PROCESS,PUBLIC_WORKS_COMPLETED_REQUIRES_NO_ACTION", 7},
		{"IN_PROCESS,PUBLIC_WORKS_COMPLETED", 1}, {"IN_PROCESS,PUBLIC_WORKS_COMPLETED_SCHEDULED_LATER", 1},
	}
	closedDetailedStatuses = []weighted[string]{
		{"PROCESSED", 620}, {"PROCESSED,PUBLIC_WORKS_COMPLETED", 380},
		{"PROCESSED,PUBLIC_WORKS_COMPLETED_REQUIRES_NO_ACTION", 138},
		{"PROCESSED,PUBLIC_WORKS_COMPLETED_SCHEDULED_LATER", 94}, {"PROCESSED,PUBLIC_WORKS_IN_PROGRESS", 61},
		{"PROCESSED,PUBLIC_WORKS_NEW", 58}, {"PROCESSED,PUBLIC_WORKS_INTERRUPTED", 8},
	}
)

// agencies are the values of agency_responsible.
var agencies = []weighted[string]{
	{"Rakennusvirasto", 1148}, {"Kaupunkisuunnitteluvirasto", 110}, {"Liikuntavirasto", 30},
	{"Opetusvirasto", 21}, {"Varhaiskasvatusvirasto", 17}, {"Helsingin kaupungin liikennelaitos", 9},
	{"Kaupunginkirjasto", 9}, {"Ympäristökeskus", 6}, {"Rakennusvalvontavirasto", 5}, {"Kiinteistövirasto", 4},
	{"Liikuntaviraston merelliset palvelut", 3}, {"Helsingin Tukkutori", 3}, {"Kaupunginkanslia", 3},
	{"Nuorisoasiainkeskus", 2}, {"Helsingin taidemuseo", 2}, {"Sosiaali- ja terveysvirasto", 2},
	{"Liikuntaviraston liikunta- ja hyvinvointipalvelut", 1}, {"Liikuntaviraston sisäliikuntapalvelut", 1},
	{"Stara", 1}, {"Pelastuslaitos", 1}, {"Helsingin Markkinointi Oy", 1}, {"Kiinteistöviraston tilakeskus", 1},
}

// mediaURLCounts are the lengths of media_urls of the requests that have a media_url.
var mediaURLCounts = []weighted[int]{{1, 580}, {2, 3}, {3, 2}, {4, 1}}

// taskCountTable are the numbers of tasks per request. Every request has at least two.
var taskCountTable = []weighted[int]{
	{2, 146}, {3, 737}, {4, 181}, {5, 86}, {6, 61}, {7, 53}, {8, 36}, {9, 28}, {10, 19}, {11, 9},
	{12, 7}, {13, 7}, {14, 3}, {15, 5}, {16, 1}, {17, 1},
}

// taskKinds are the task_type and task_state of tasks, as "type/state".
var taskKinds = []weighted[string]{
	{"assigned/re_assigned", 1784}, {"wait_for_answer/completed", 1464}, {"moved_to_other_system/completed", 726},
	{"informed/closed", 507}, {"wait_for_answer/re_assigned", 325}, {"informed/completed", 243},
	{"wait_for_answer/closed", 184}, {"wait_for_comment/completed", 123}, {"wait_for_comment/closed", 64},
	{"informed/open", 41}, {"moved_to_other_system/closed", 27}, {"wait_for_answer/open", 21},
	{"transferred_out/closed", 20}, {"assigned/closed", 10}, {"assigned/completed", 8}, {"wait_for_comment/open", 1},
}

// taskOwners are the owner_name of tasks.
var taskOwners = []weighted[string]{
	{"Rakennusvirasto", 3988}, {"Kaupunkisuunnitteluvirasto", 786}, {"Stara", 124}, {"Kaupunginkanslia", 116},
	{"Liikuntavirasto", 108}, {"Opetusvirasto", 92}, {"Varhaiskasvatusvirasto", 74},
	{"Helsingin kaupungin liikennelaitos", 35}, {"Liikuntaviraston merelliset palvelut", 31},
	{"Kaupunginkirjasto", 26}, {"Rakennusvalvontavirasto", 24}, {"Kiinteistövirasto", 23}, {"Ympäristökeskus", 23},
	{"Liikuntaviraston sisäliikuntapalvelut", 21}, {"Nuorisoasiainkeskus", 16},
	{"Liikuntaviraston ulkoliikuntapalvelut", 15}, {"Helsingin taidemuseo", 9}, {"Kiinteistöviraston tilakeskus", 9},
	{"Helsingin Tukkutori", 8}, {"Sosiaali- ja terveysvirasto", 6}, {"Pelastuslaitos", 4},
	{"Kiinteistöviraston tonttiosasto", 2}, {"Liikuntaviraston liikunta- ja hyvinvointipalvelut", 2},
	{"Rakennusvalvontaviraston Tellinki", 2}, {"Helsingin Markkinointi Oy", 2}, {"Kulttuurikeskus", 1},
	{"Kaupunginkanslian verkkoviestintä", 1},
}

// quantileLevels are the levels of the quantile tables below: the minimum, the 5th to 95th
// percentiles, the 99th percentile and the maximum.
var quantileLevels = []float64{0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1}

// Lengths in characters (Unicode code points) at quantileLevels. Status notes count only the
// requests that have them.
var (
	descriptionLengths = []float64{13, 50, 68, 100, 136, 169, 203, 246, 314, 403, 569, 729, 1478, 3591}
	titleLengths       = []float64{6, 14, 17, 22, 25, 29, 30, 30, 32, 37, 43, 51, 67, 152}
	notesLengths       = []float64{61, 122, 130, 139, 177, 213, 228, 288, 328, 388, 501, 678, 1307, 1924}
)

// Delays at quantileLevels: from requested_datetime to updated_datetime in hours, for closed
// and for open requests, and to expected_datetime in days.
var (
	closedUpdateHours = []float64{0.49, 14.72, 20.46, 28.45, 47.5, 82.32, 133.91, 189.5, 306.38, 476.42, 1129.41, 2349, 5340.38, 8143.75}
	openUpdateHours   = []float64{31.44, 272.01, 547.68, 1703.67, 2128.08, 3497.15, 3993.82, 4800.85, 4800.89, 5340.38, 6204.97, 6363.05, 8143.75, 8143.75}
	expectedDays      = []float64{0.03, 5.09, 7.71, 12.56, 13.25, 13.25, 15.6, 16.99, 16.99, 23.06, 30.17, 30.17, 37.44, 230.81}
)

// hoursUTC are the hours of requested_datetime in UTC, two or three hours behind Helsinki's
// time: most feedback comes in the morning and early afternoon of a working day.
var hoursUTC = []weighted[int]{
	{3, 1}, {4, 8}, {5, 192}, {6, 152}, {7, 49}, {8, 58}, {9, 77}, {10, 49}, {11, 158}, {12, 115},
	{13, 132}, {14, 71}, {15, 81}, {16, 25}, {17, 41}, {18, 62}, {19, 70}, {20, 21}, {21, 12}, {22, 5}, {23, 1},
}

// weekdays are the days of the week of requested_datetime in UTC, Sunday first.
var weekdays = []int{63, 330, 216, 297, 175, 277, 22}

// clusters is a mixture of Gaussian clusters fitted to the locations of the 1,354 Helsinki
// requests that have one, by expectation maximization with diagonal covariance (fitMixture
// in fit_test.go). Weights are in requests, and deviations in degrees.
var clusters = []Cluster{
	{Weight: 306, Lat: 60.2308, Long: 24.9422, LatDeviation: 0.0189, LongDeviation: 0.0645},
	{Weight: 271, Lat: 60.1905, Long: 24.9466, LatDeviation: 0.0123, LongDeviation: 0.0200},
	{Weight: 173, Lat: 60.1598, Long: 24.9113, LatDeviation: 0.0044, LongDeviation: 0.0245},
	{Weight: 119, Lat: 60.2187, Long: 25.1140, LatDeviation: 0.0164, LongDeviation: 0.0367},
	{Weight: 112, Lat: 60.2060, Long: 24.8916, LatDeviation: 0.0114, LongDeviation: 0.0104},
	{Weight: 106, Lat: 60.1687, Long: 24.9451, LatDeviation: 0.0027, LongDeviation: 0.0175},
	{Weight: 71, Lat: 60.1861, Long: 24.9700, LatDeviation: 0.0016, LongDeviation: 0.0353},
	{Weight: 48, Lat: 60.2232, Long: 25.0785, LatDeviation: 0.0218, LongDeviation: 0.0044},
	{Weight: 42, Lat: 60.1915, Long: 25.0357, LatDeviation: 0.0087, LongDeviation: 0.0063},
	{Weight: 38, Lat: 60.2435, Long: 25.0144, LatDeviation: 0.0118, LongDeviation: 0.0109},
	{Weight: 37, Lat: 60.1824, Long: 24.9583, LatDeviation: 0.0031, LongDeviation: 0.0022},
	{Weight: 30, Lat: 60.2729, Long: 25.0271, LatDeviation: 0.0064, LongDeviation: 0.0195},
}

// Bounds is the box that every generated location lies in: the Helsinki locations' box,
// 60.1461 to 60.3198 N and 24.6507 to 25.2212 E, widened by about 2 km.
var Bounds = georeport.BBox{MinLong: 24.61, MinLat: 60.13, MaxLong: 25.26, MaxLat: 60.34}

// streets are the streets of the addresses that name a street and a number, those that
// occur three times or more.
var streets = []weighted[string]{
	{"Hämeentie", 19}, {"Merikasarminkatu", 16}, {"Helsinginkatu", 16}, {"Länsisatamankatu", 15},
	{"Mannerheimintie", 12}, {"Mäkelänkatu", 11}, {"Sturenkatu", 9}, {"Marjaniementie", 9},
	{"Tilkantori", 9}, {"Porkkalankatu", 9}, {"Eliel Saarisen tie", 9}, {"Viikintie", 9},
	{"Paciuksenkatu", 8}, {"Hakaniemenranta", 8}, {"Hermannin rantatie", 7}, {"Bulevardi", 7},
	{"Topeliuksenkatu", 6}, {"Kaasutehtaankatu", 6}, {"Jyrängöntie", 6}, {"Arielinkatu", 6},
	{"Kirkonkyläntie", 6}, {"Urheilukatu", 6}, {"Siltasaarenkatu", 6}, {"Särkiniementie", 5},
	{"Koskelantie", 5}, {"Itämerenkatu", 5}, {"Rajasaarenpenger", 5}, {"Rautatientori", 5},
	{"Mechelininkatu", 5}, {"Jaalaranta", 4}, {"Välimerenkatu", 4}, {"Kalervonkatu", 4},
	{"Pakilantie", 4}, {"Aleksis Kiven katu", 4}, {"Markkinatie", 4}, {"Lapinlahdenkatu", 4},
	{"Pohjoisranta", 4}, {"Katajanokanlaituri", 4}, {"Mikonkatu", 4}, {"Liuskekuja", 4},
	{"Lohikallionranta", 4}, {"Mellunmäenraitio", 4}, {"Ratapihantie", 4},
	{"Nordenskiöldinkatu", 4}, {"Mahlakuja", 3}, {"Strömsintie", 3}, {"Hernesaarenranta", 3},
	{"Pengerkatu", 3}, {"Neljäs linja", 3}, {"Kapteeninkatu", 3}, {"Kivalontie", 3},
	{"Porvoonkatu", 3}, {"Heikkiläntie", 3}, {"Tyynenmerenkatu", 3}, {"Huokotie", 3},
	{"Arkadiankatu", 3}, {"Albertinkatu", 3}, {"Tilkankatu", 3}, {"Hietalahdenranta", 3},
	{"Tulvaniitynpolku", 3}, {"Ehrenströmintie", 3}, {"Huopalahdentie", 3},
	{"Kirvesmiehenkatu", 3}, {"Linnunlauluntie", 3}, {"Untamontie", 3}, {"Junailijankuja", 3},
	{"Elielinaukio", 3}, {"Agronominkatu", 3}, {"Oulunkyläntie", 3}, {"Kolmas linja", 3},
	{"Torpparinmäentie", 3}, {"Malminkaari", 3}, {"Kuusmiehentie", 3}, {"Lauttasaarentie", 3},
	{"Esterinportti", 3}, {"Hiittistenkuja", 3}, {"Merisatamanranta", 3}, {"Kyläsaarenkatu", 3},
	{"Kaupintie", 3}, {"Pasilankatu", 3}, {"Panuntie", 3}, {"Teollisuuskatu", 3},
	{"Pohjoisesplanadi", 3}, {"Valimotie", 3}, {"Hankasuontie", 3}, {"Metsäläntie", 3},
	{"Kantelettarentie", 3}, {"Vehmaistentie", 3}, {"Raidepolku", 3}, {"Mellunmäentie", 3},
	{"Kauppalantie", 3}, {"Laivastokuja", 3}, {"Hirsipadontie", 3},
}

// words are the 600 most frequent words of the descriptions and titles, lowercase, with
// their counts. A word is a run of letters, and only words of a to z, å, ä and ö, at least
// two letters long, are counted.
var words = []weighted[string]{
	{"on", 1641}, {"ja", 1568}, {"ei", 585}, {"ole", 285}, {"että", 284}, {"kun", 220},
	{"mutta", 209}, {"ovat", 206}, {"jo", 193}, {"pyörätien", 182}, {"myös", 174}, {"tai", 172},
	{"nyt", 164}, {"liikennemerkki", 153}, {"niin", 150}, {"kohdalla", 149}, {"se", 147},
	{"olisi", 138}, {"ollut", 135}, {"liikenteen", 131}, {"joka", 124}, {"jos", 120},
	{"puuttuu", 120}, {"kevyen", 117}, {"tämä", 116}, {"oli", 111}, {"hei", 111}, {"merkki", 107},
	{"kuin", 106}, {"risteyksessä", 106}, {"sen", 105}, {"pois", 97}, {"puolella", 92},
	{"jalkakäytävän", 91}, {"tässä", 87}, {"olla", 87}, {"pyörätie", 86}, {"jalkakäytävä", 82},
	{"koko", 82}, {"tien", 82}, {"ennen", 82}, {"suojatien", 82}, {"sitten", 81}, {"yli", 78},
	{"pitäisi", 78}, {"koska", 77}, {"voisi", 76}, {"eikä", 75}, {"voi", 75}, {"vaikka", 74},
	{"voisiko", 74}, {"kadun", 74}, {"todella", 72}, {"olen", 72}, {"vieressä", 70}, {"vain", 68},
	{"siinä", 68}, {"suuntaan", 68}, {"päin", 68}, {"jälkeen", 68}, {"pyörätiellä", 68},
	{"vielä", 67}, {"paljon", 66}, {"osa", 65}, {"ne", 64}, {"onko", 64}, {"eivät", 63},
	{"kiitos", 63}, {"sitä", 63}, {"tästä", 62}, {"joten", 61}, {"siitä", 61}, {"oleva", 60},
	{"sillan", 59}, {"mitään", 58}, {"sekä", 57}, {"lisäksi", 56}, {"rikki", 56},
	{"kaatunut", 56}, {"joku", 55}, {"ajaa", 55}, {"siis", 55}, {"edes", 54}, {"auto", 54},
	{"täynnä", 52}, {"paikka", 52}, {"yksi", 52}, {"taas", 52}, {"kuoppa", 52}, {"kaksi", 51},
	{"aivan", 50}, {"esim", 50}, {"kaupungin", 50}, {"tulee", 50}, {"alueella", 50},
	{"jotka", 50}, {"jossa", 50}, {"saada", 49}, {"suojatie", 49}, {"risteyksen", 49},
	{"autot", 48}, {"eli", 48}, {"puu", 47}, {"valot", 47}, {"iso", 47}, {"aina", 46},
	{"miksi", 46}, {"sillä", 45}, {"lisää", 44}, {"vaarallinen", 44}, {"auton", 44},
	{"helsingin", 44}, {"pimeänä", 43}, {"näin", 43}, {"jalkakäytävällä", 43}, {"viime", 43},
	{"ainakin", 43}, {"kuitenkin", 43}, {"pyöräilijät", 43}, {"hyvin", 43}, {"olevan", 43},
	{"suunnasta", 42}, {"http", 42}, {"edelleen", 42}, {"vaan", 41}, {"erittäin", 41},
	{"väylän", 41}, {"jatkuvasti", 41}, {"ajan", 41}, {"roskis", 41}, {"tulisi", 40},
	{"tämän", 40}, {"pitkin", 40}, {"samalla", 40}, {"en", 40}, {"paikalla", 40}, {"juuri", 39},
	{"kohti", 39}, {"risteyksestä", 39}, {"autojen", 39}, {"jalankulkijat", 39}, {"tällä", 39},
	{"tehty", 38}, {"ilmeisesti", 38}, {"vai", 38}, {"vuoksi", 38}, {"kunnossa", 37},
	{"takia", 37}, {"mukaan", 37}, {"kanssa", 37}, {"puiston", 37}, {"kohtaa", 37},
	{"vaaratilanteita", 36}, {"siihen", 36}, {"siellä", 36}, {"pyörällä", 36}, {"pyörätietä", 36},
	{"mahdollista", 36}, {"ettei", 36}, {"päässä", 35}, {"puolelle", 35}, {"ihan", 34},
	{"enää", 34}, {"välillä", 34}, {"keskellä", 34}, {"saa", 34}, {"edessä", 34}, {"näy", 33},
	{"pari", 33}, {"kevyenliikenteen", 33}, {"ilman", 33}, {"sinne", 33}, {"pitää", 32},
	{"alueen", 32}, {"kaupunki", 32}, {"hyvä", 32}, {"jalankulkijoiden", 32}, {"useita", 32},
	{"väylällä", 32}, {"suoraan", 32}, {"aika", 31}, {"jalkakäytävälle", 31}, {"työmaa", 31},
	{"jalankulkijoille", 31}, {"asfaltti", 31}, {"jotta", 31}, {"puistossa", 31},
	{"varrella", 31}, {"väylä", 30}, {"vettä", 30}, {"tehdä", 30}, {"tänään", 30},
	{"ajoradan", 30}, {"pysäköinti", 30}, {"liikennemerkit", 30}, {"asfaltissa", 30},
	{"työmaan", 30}, {"aita", 30}, {"jonka", 30}, {"puuttuvat", 29}, {"muutenkin", 29},
	{"paikassa", 29}, {"ko", 29}, {"katso", 29}, {"osoitteessa", 29}, {"rikottu", 29},
	{"valo", 29}, {"välissä", 29}, {"pysäkki", 29}, {"tolppa", 29}, {"olisiko", 29},
	{"autoja", 29}, {"päällä", 29}, {"läpi", 29}, {"toinen", 29}, {"talvella", 29}, {"mitä", 28},
	{"lähellä", 28}, {"kautta", 28}, {"missä", 28}, {"alle", 28}, {"liian", 28}, {"aidan", 28},
	{"jalkakäytävää", 28}, {"kuvassa", 28}, {"vuotta", 28}, {"mm", 28}, {"tie", 28},
	{"liikennevalot", 28}, {"pyöräilijöille", 27}, {"pyöräilijöiden", 27}, {"kyllä", 27},
	{"päälle", 27}, {"saisiko", 27}, {"roska", 27}, {"pyörätielle", 27}, {"vuoden", 27},
	{"töhritty", 27}, {"aikana", 27}, {"kulmassa", 27}, {"vähän", 27}, {"usein", 26},
	{"suojatietä", 26}, {"tuo", 26}, {"kohta", 26}, {"osallistu", 26}, {"keskusteluun", 26},
	{"msg", 26}, {"kohdassa", 26}, {"aikaan", 26}, {"nämä", 25}, {"ehkä", 25}, {"merkitty", 25},
	{"miten", 25}, {"toisella", 25}, {"kokonaan", 25}, {"tuossa", 25}, {"kerran", 25},
	{"noin", 25}, {"jolloin", 25}, {"tilanne", 25}, {"klo", 24}, {"irti", 24}, {"maalaus", 24},
	{"metrin", 24}, {"esimerkiksi", 24}, {"hieman", 24}, {"kehä", 24}, {"kaikki", 24},
	{"korjata", 24}, {"ajavat", 24}, {"tähän", 24}, {"pensaat", 24}, {"tiessä", 24},
	{"kyltti", 24}, {"eikö", 24}, {"verran", 24}, {"mikä", 23}, {"risteykseen", 23}, {"aca", 23},
	{"tätä", 23}, {"olleet", 23}, {"fi", 23}, {"alue", 23}, {"oksat", 23}, {"pelkkä", 23},
	{"käydä", 23}, {"roskia", 22}, {"lähes", 22}, {"roskat", 22}, {"pysäkin", 22},
	{"varsinkin", 22}, {"tultaessa", 22}, {"päivittäin", 22}, {"huonosti", 22}, {"puuttuva", 22},
	{"aseman", 22}, {"niitä", 22}, {"kuoppia", 22}, {"puun", 22}, {"erityisesti", 22},
	{"korjattu", 22}, {"kulkee", 21}, {"melkein", 21}, {"hiekkaa", 21}, {"alkaa", 21},
	{"keskustasta", 21}, {"lapset", 21}, {"aikaa", 21}, {"pahasti", 21}, {"päästä", 21},
	{"joskus", 21}, {"itse", 21}, {"varmasti", 21}, {"kuva", 21}, {"risteys", 21}, {"kuten", 21},
	{"asiasta", 21}, {"näe", 21}, {"kadulla", 21}, {"nurin", 20}, {"poistaa", 20}, {"väylää", 20},
	{"jäljiltä", 20}, {"leikkipuiston", 20}, {"korkea", 20}, {"haagaan", 20}, {"alla", 20},
	{"tulevat", 20}, {"väärään", 20}, {"talon", 20}, {"takaisin", 20}, {"aiheuttaa", 20},
	{"lasten", 20}, {"käyttävät", 20}, {"toimi", 20}, {"laittaa", 20}, {"aurattu", 20},
	{"katuvalot", 20}, {"suojatiellä", 19}, {"sillalla", 19}, {"puolin", 19}, {"kuinka", 19},
	{"lauttasaaren", 19}, {"ohi", 19}, {"pyöräilijän", 19}, {"roskaa", 19}, {"kohdalta", 19},
	{"josta", 19}, {"jotain", 19}, {"jostain", 19}, {"eri", 19}, {"töhryjä", 19}, {"löytyy", 19},
	{"oikealle", 19}, {"heti", 19}, {"syystä", 19}, {"kuvan", 19}, {"koulun", 19},
	{"ongelma", 19}, {"suljettu", 18}, {"vihreä", 18}, {"pyöräilyn", 18}, {"sattuu", 18},
	{"astia", 18}, {"ajoradalle", 18}, {"väylälle", 18}, {"reikä", 18}, {"jopa", 18},
	{"kuorma", 18}, {"maassa", 18}, {"pitkään", 18}, {"ottaa", 18}, {"olevat", 18}, {"vasta", 18},
	{"merkin", 18}, {"varten", 18}, {"pieni", 18}, {"melko", 18}, {"näyttää", 18},
	{"varmaan", 18}, {"paikalle", 18}, {"joutuvat", 18}, {"muutama", 17}, {"kanttikivet", 17},
	{"käyttää", 17}, {"itään", 17}, {"monta", 17}, {"merkit", 17}, {"jäänyt", 17}, {"talven", 17},
	{"johon", 17}, {"kohdalle", 17}, {"asti", 17}, {"bussipysäkki", 17}, {"takana", 17},
	{"cm", 17}, {"ajettaessa", 17}, {"milloin", 17}, {"käy", 17}, {"pohjois", 17},
	{"oikealla", 17}, {"auki", 17}, {"puisto", 17}, {"jonkun", 17}, {"puut", 17}, {"eteen", 17},
	{"näkyvyyden", 17}, {"niiden", 17}, {"mielestäni", 17}, {"pasilan", 16}, {"pääse", 16},
	{"molemmin", 16}, {"kesken", 16}, {"tosi", 16}, {"tarvitaan", 16}, {"pääsee", 16},
	{"varressa", 16}, {"muut", 16}, {"jalankulkijoita", 16}, {"tilaa", 16}, {"ihmiset", 16},
	{"tuli", 16}, {"uusia", 16}, {"pysäkillä", 16}, {"kiinni", 16}, {"tielle", 16},
	{"kertaa", 16}, {"muuta", 16}, {"jätetty", 16}, {"syvä", 16}, {"bussipysäkin", 16},
	{"vaikea", 16}, {"asia", 16}, {"siten", 16}, {"jota", 16}, {"kulkevan", 16}, {"hetkellä", 16},
	{"joutuu", 16}, {"useamman", 16}, {"isoja", 16}, {"sama", 16}, {"merkkiä", 16},
	{"pyöräilijä", 16}, {"liikennettä", 16}, {"aiemmin", 16}, {"tietä", 16},
	{"lainvoimainen", 16}, {"liikennejärjestelyt", 15}, {"maahan", 15}, {"muutaman", 15},
	{"sieltä", 15}, {"poikki", 15}, {"länsi", 15}, {"kuntoon", 15}, {"joko", 15}, {"vastaan", 15},
	{"puolen", 15}, {"merkinnät", 15}, {"uusi", 15}, {"pyörä", 15}, {"mahdollisesti", 15},
	{"mistä", 15}, {"tänä", 15}, {"syytä", 15}, {"alussa", 15}, {"suuri", 15}, {"kolme", 15},
	{"rinnakkain", 15}, {"yhdistetyn", 15}, {"toivottavasti", 15}, {"liikennemerkin", 15},
	{"korjaamatta", 15}, {"eteenpäin", 15}, {"monet", 15}, {"olevaa", 15}, {"kielletty", 15},
	{"viikon", 15}, {"jää", 15}, {"vesi", 15}, {"näitä", 15}, {"päivää", 15}, {"jalankulku", 15},
	{"huopalahden", 14}, {"tullut", 14}, {"täysin", 14}, {"pikku", 14}, {"muuten", 14},
	{"alikulku", 14}, {"puolelta", 14}, {"mennä", 14}, {"viikolla", 14}, {"autoille", 14},
	{"ajoradalla", 14}, {"ympäristö", 14}, {"km", 14}, {"katu", 14}, {"vasemmalle", 14},
	{"niistä", 14}, {"osittain", 14}, {"kauan", 14}, {"kulkevat", 14}, {"viikkoa", 14},
	{"hämeentien", 14}, {"huonossa", 14}, {"liikenne", 14}, {"peittää", 14}, {"suojatielle", 14},
	{"runsaasti", 14}, {"reunassa", 14}, {"autoa", 14}, {"liikennevalojen", 14},
	{"autoilijoille", 14}, {"tiellä", 14}, {"helposti", 14}, {"estää", 14}, {"rannan", 14},
	{"ympäri", 14}, {"kukaan", 14}, {"vuosia", 14}, {"autolla", 13}, {"vuosi", 13}, {"uutta", 13},
	{"lainkaan", 13}, {"etelään", 13}, {"aiheuttavat", 13}, {"vuonna", 13}, {"pohjoiseen", 13},
	{"hylätty", 13}, {"metriä", 13}, {"roskikset", 13}, {"ruoholahden", 13}, {"menee", 13},
	{"työ", 13}, {"asiaa", 13}, {"helsingissä", 13}, {"antaa", 13}, {"ajamaan", 13},
	{"jatkuu", 13}, {"pyörän", 13}, {"näkyy", 13}, {"autoilijat", 13}, {"sotkettu", 13},
	{"kadulle", 13}, {"ajoeste", 13}, {"yhden", 13}, {"ruuhka", 13}, {"www", 13},
	{"tunnelin", 13}, {"helsinki", 13}, {"kivikon", 13}, {"viedä", 13}, {"katua", 13},
	{"huolimatta", 13}, {"kuitenkaan", 13}, {"paremmin", 13}, {"mihin", 13}, {"ylittää", 13},
	{"vaarallisesti", 13}, {"torin", 13}, {"toki", 13}, {"penkit", 13}, {"kapea", 13},
	{"kanavan", 13}, {"monttu", 13}, {"auraamatta", 13}, {"tilalle", 12}, {"ainoa", 12},
	{"kuka", 12}, {"leikkipuisto", 12}, {"erityisen", 12}, {"ihmisten", 12}, {"asian", 12},
	{"katajanokan", 12}, {"yleensä", 12}, {"ylös", 12}, {"itäväylän", 12}, {"kesänä", 12},
	{"kävi", 12}, {"päivä", 12}, {"varsin", 12}, {"tiedä", 12}, {"mikäli", 12}, {"kyseessä", 12},
	{"tapahtuu", 12}, {"päiväkoti", 12}, {"lapsen", 12}, {"mitenkään", 12}, {"kadonnut", 12},
	{"alas", 12}, {"vinossa", 12}, {"opaste", 12}, {"lauttasaaressa", 12}, {"kävelytien", 12},
	{"kuukauden", 12}, {"kannalta", 12}, {"penkki", 12}, {"sijaitsee", 12}, {"nähnyt", 12},
	{"nopeasti", 12},
}
