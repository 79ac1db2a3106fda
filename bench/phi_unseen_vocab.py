"""Word lists for the unseen-forms PHI corpus, written by hand for it (bench/phi_corpus_unseen.py).

Why a separate list: the corpus must not share vocabulary with the detector. These names, places,
cue phrases and hard negatives were written from how clinical exports and notes read, not from the
detector's registry or dictionaries, and not from Faker's word lists. Names come from many
languages and are mixed with names built from random syllables, so most are in no dictionary.
"""

from __future__ import annotations

GIVEN = [
    # West and East African
    "Adaeze", "Chinwendu", "Oluwaseun", "Temitope", "Babatunde", "Yetunde", "Kwame", "Akosua", "Efua",
    "Kofi", "Abena", "Nnamdi", "Uchenna", "Obiageli", "Folasade", "Makena", "Wanjiru", "Njeri",
    "Otieno", "Zawadi", "Tsegaye", "Mekdes", "Abebe", "Hiwot", "Farhiya", "Abdirahman", "Hodan",
    # Eastern Europe, Nordic, Baltic, Caucasus
    "Wojciech", "Grzegorz", "Agnieszka", "Małgorzata", "Bogdana", "Oleksandr", "Yaroslava", "Dmytro",
    "Szilvia", "Zsófia", "Gergely", "Tuomas", "Aino", "Sigrún", "Eyjólfur", "Ingibjörg", "Rasa",
    "Gintarė", "Tamar", "Nino", "Levani", "Anahit", "Gevorg", "Vardan",
    # Middle East, South and Central Asia
    "Farzaneh", "Shahrzad", "Behrouz", "Dariush", "Yasaman", "Khadija", "Mustafa", "Zeynep", "Emine",
    "Oğuzhan", "Thenmozhi", "Venkatesh", "Lakshmi", "Subramaniam", "Anirban", "Sudeshna", "Gurpreet",
    "Harjinder", "Bilqis", "Nargiza", "Dilnoza", "Aigerim", "Yerlan",
    # East and South-East Asia
    "Thanh", "Huong", "Quang", "Ngoc", "Minh", "Bích", "Jae-won", "Seo-yeon", "Hyun-woo", "Haruto",
    "Yui", "Sakura", "Kenji", "Xiuying", "Zhiwei", "Jianhong", "Meiling", "Bayarmaa", "Batbold",
    "Somchai", "Siriporn", "Rizal", "Dewi", "Marites", "Jomar", "Lourdes",
    # Pacific, Americas, Iberia
    "Keola", "Leilani", "Mele", "Tevita", "Aroha", "Wiremu", "Nayeli", "Xochitl", "Itzel", "Citlali",
    "Yupanqui", "Illari", "Joaquim", "Conceição", "Ximena", "Eneko", "Itziar", "Aitor",
]  # fmt: skip

FAMILY = [
    "Nwachukwu", "Okonkwo", "Adebayo", "Oyelowo", "Eze", "Obi", "Asante", "Mensah", "Boateng",
    "Owusu", "Kamau", "Wanyama", "Odhiambo", "Tesfaye", "Gebremedhin", "Haile", "Warsame", "Farah",
    "Brzęczyszczykiewicz", "Wróblewski", "Kowalczuk", "Szczepańska", "Hrytsenko", "Kovalenko",
    "Tkachuk", "Horváth", "Szabó", "Nagy-Kovács", "Korhonen", "Mäkinen", "Virtanen", "Guðmundsdóttir",
    "Kazlauskas", "Beridze", "Kvaratskhelia", "Hovhannisyan", "Sargsyan", "Mirzaei", "Tehrani",
    "Ghorbani", "Al-Masri", "Haddadin", "Yılmaz", "Öztürk", "Çelik", "Ramaswamy", "Krishnamurthy",  # noqa: RUF001
    "Bhattacharya", "Chakraborty", "Sandhu", "Grewal", "Yusupova", "Nurmagambetov", "Tran",
    "Pham", "Huynh", "Vo", "Park", "Jeong", "Yamaguchi", "Takahashi", "Nakamura", "Zhao",
    "Liang", "Xu", "Ganbaatar", "Batjargal", "Srisuk", "Wongsakul", "Santoso", "Dela Cruz",
    "Macapagal", "Kahananui", "Kealoha", "Tuilagi", "Fifita", "Te Whata", "Ngata", "Cuauhtémoc",
    "Tzintzun", "Quispe", "Mamani", "Huanca", "Gonçalves", "Figueiredo", "Etxeberria", "Urrutia",
]  # fmt: skip

NICKNAMES = ["Seun", "Tope", "Bolu", "Kiki", "Dede", "Wojtek", "Sasha", "Zsofi", "Beh", "Thenu",
             "Venky", "Jae", "Kenny", "Mei", "Bobo", "Tata", "Lulu", "Chichi", "Nana", "Pepa"]  # fmt: skip

# Random syllables for names and places no list holds.
ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "kw",
          "ny", "sh", "th", "ts", "zh", "gl", "mb", "nd"]  # fmt: skip
NUCLEI = ["a", "e", "i", "o", "u", "ai", "ao", "ei", "ou", "ia", "ue", "y"]
CODAS = ["", "", "", "n", "r", "l", "m", "s", "k", "th", "x", "nd"]

TITLES = ["Dr.", "Dr", "Mr.", "Mrs.", "Ms.", "Mx.", "Prof.", "Sister", "Nurse", "Pastor", "Fr."]
NAME_CUES = [  # text before the name; {role} is filled with a relation word
    "seen by {title}", "spoke with {title}", "discussed with {title}", "reviewed with attending {title}",
    "spoke with", "seen by", "discussed plan with", "case reviewed by", "history obtained from",
    "accompanied by her {role}", "accompanied by his {role}", "{role}", "{role} at bedside:",
    "patient", "Patient name:", "pt", "the patient, ", "called {role}", "consent signed by {role}",
    "interpreter", "per {role}", "message left for", "handed over to",
]  # fmt: skip
ROLES = ["daughter", "son", "niece", "nephew", "granddaughter", "son-in-law", "neighbour", "caregiver",
         "husband", "partner", "aunt", "stepmother", "guardian", "godson"]  # fmt: skip

# Places smaller than a state: small US towns and counties, and names no gazetteer holds.
TOWNS = [
    "Tullahoma", "Wapakoneta", "Chillicothe", "Opelousas", "Natchitoches", "Kalispell", "Ypsilanti",
    "Kankakee", "Punxsutawney", "Paducah", "Ashtabula", "Nacogdoches", "Tonopah", "Winnemucca",
    "Hoquiam", "Sheboygan", "Muskogee", "Pahrump", "Keokuk", "Hibbing", "Bemidji", "Yreka",
    "Laramie", "Sandpoint", "Presque Isle", "Poughkeepsie", "Tuscumbia", "Hackensack", "Mahwah",
    "Wahpeton", "Okemah", "Sallisaw", "Pocatello", "Kittanning", "Altoona", "Ottumwa", "Chehalis",
]  # fmt: skip
COUNTIES = [
    "Okaloosa County", "Coos County", "Yavapai County", "Tillamook County", "Androscoggin County",
    "Pottawattamie County", "Washtenaw County", "Cuyahoga County", "Ouachita Parish",
    "Tangipahoa Parish", "Kanawha County", "Schoharie County", "Humboldt County", "Chautauqua County",
]  # fmt: skip
PLACE_SUFFIXES = ["ville", "burg", " Falls", " Springs", " Ridge", " Creek", "ton", " Hollow", "field",
                  " Junction", " Crossing"]  # fmt: skip
STATES = ["AL", "AK", "AZ", "AR", "CO", "CT", "IA", "ID", "KS", "KY", "LA", "ME", "MN", "MO", "MS",
          "MT", "NE", "NM", "ND", "OK", "OR", "SD", "TN", "UT", "VT", "WV", "WI", "WY"]  # fmt: skip
GEO_CUES = ["lives in", "from", "moved to", "resident of", "transferred from the clinic in", "grew up in",
            "home is in", "recently relocated to", "drives in from", "staying with family in",
            "works on a farm outside"]  # fmt: skip

# Hard negatives: they look like names, places, dates or numbers and must be kept as written.
HARD_NEGATIVES = [
    "Hashimoto thyroiditis on levothyroxine", "Guillain-Barre syndrome, recovering",
    "Kawasaki disease ruled out", "Raynaud phenomenon in both hands", "Murphy sign positive",
    "McBurney point tenderness", "Homans sign negative", "Kernig sign absent", "Romberg test negative",
    "Trendelenburg gait noted", "Barrett esophagus on surveillance", "Meckel diverticulum excluded",
    "Tinel sign positive at the wrist", "Phalen test positive", "Epley maneuver performed",
    "Valsalva maneuver without effect", "Sjogren syndrome workup", "Marfan habitus", "Kaposi sarcoma excluded",
    "Wernicke encephalopathy risk, thiamine given", "Chvostek sign negative", "Cullen sign absent",
    "Hoffmann sign negative", "Lhermitte sign on neck flexion", "Brudzinski sign negative",
    "Tourette syndrome, tics stable", "Huntington disease family history", "Alzheimer dementia, MMSE 22/30",
    "apixaban 5 mg BID", "Eliquis held 48 h", "Xarelto 20 mg with supper", "Keppra 500 mg BID",
    "Zofran 4 mg IV prn", "Norco 5/325 one tab q6h prn", "Lipitor 40 mg nightly", "Januvia 100 mg daily",
    "Jardiance 10 mg daily", "Ozempic 0.5 mg weekly", "Humira 40 mg every other week",
    "insulin glargine 18 units qHS", "amoxicillin 500 mg PO TID", "pain 5/10", "pain score 7/10",
    "GCS 15", "GCS E4V5M6", "NIHSS 4", "APGAR 8/9", "Wells score 2", "CHA2DS2-VASc 3", "PHQ-9 12",
    "MMSE 27/30", "Braden 18", "BP 120/80", "BP 142/91 sitting", "HR 88", "RR 16", "SpO2 96% on RA",
    "T 37.2 C", "Na 138 mmol/L", "K 4.1 mmol/L", "Cr 1.2 mg/dL", "WBC 7.4 x10^9/L", "Hgb 13.2 g/dL",
    "INR 2.4", "troponin < 0.01 ng/mL", "ICD-10 E11.65", "ICD-10 I48.91", "dx code J18.9", "LOINC 2951-2",
    "LOINC 718-7", "ref 48213", "item 20931", "bed 14B", "room 4411", "at 14:32", "at 0815",
    "started 07:05:12", "duration 00:45:10", "2 of 3 sets", "grade 3/6 murmur", "Mallampati II",
    "Gleason 3+4", "NYHA class II", "BMI 31.4",
    # label words in another sense, before a number: a verb, a quantity, a compound noun
    "walks enough to account for 12000 steps", "pharmacy received a lot of 10000 units",
    "specimen sent in a zip-lock bag 48213", "took into account 25000 steps", "policy of 30000 units a year",
]  # fmt: skip

FILLER = [
    "Pt reports improved sleep.", "No acute distress.", "Tolerating diet.", "Ambulating with walker.",
    "Wound clean, dry and intact.", "Denies fever or chills.", "Plan discussed, questions answered.",
    "Follow-up in clinic after imaging.", "Labs reviewed.", "Vitals stable overnight.",
    "Continue current regimen.", "Will reassess after PT evaluation.", "Social work consulted.",
    "Discharge teaching completed.", "Medication reconciliation done.", "Fall precautions in place.",
]  # fmt: skip

DRUGS = ["metoprolol", "apixaban", "levetiracetam", "sertraline", "furosemide", "gabapentin",
         "tamsulosin", "pantoprazole", "empagliflozin", "rosuvastatin"]  # fmt: skip
ICD10 = ["E11.65", "I48.91", "J18.9", "N39.0", "K57.30", "M17.11", "G47.33", "F41.1", "I50.22", "C50.911"]
LOINC = ["2951-2", "718-7", "2823-3", "1742-6", "33914-3", "2085-9", "13457-7", "4548-4"]
