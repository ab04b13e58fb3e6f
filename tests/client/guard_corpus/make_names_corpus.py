#!/usr/bin/env python3
"""Writes positive_names.txt and negative_names.txt: the labelled corpus for
the guard's name, school, place and workplace kinds (issue 20).

Sentences are built from hand-written case-question templates and hand-picked
fillers (seeded, so the output is stable). About a third of the names, schools
and places are deliberately NOT in client/guard_data/, so recall also measures
the context cues, not only the lists. Run: python3 make_names_corpus.py
(output committed; the test reads the .txt files).
"""
import random

rng = random.Random(20)

listed_given = ["Fatima", "Yusuf", "Amina", "Mohammed", "Zainab", "Ahmad", "Hodan", "Abdirahman",
                "Mahsa", "Reza", "Senait", "Dawit", "Elif", "Mehmet", "Lejla", "Edin", "Rojin",
                "Soran", "Hiba", "Omar", "Maryam", "Ali", "Shirin", "Arash", "Ayan", "Warsame",
                "Nour", "Hamza", "Zeynep", "Emir", "Ebba", "Oscar", "Sara", "Khadija", "Ibrahim",
                "Yasmin", "Bilal", "Rahel", "Filmon", "Azra", "Blerim", "Dilan", "Hevin", "Parisa"]
unlisted_given = ["Xhevdet", "Nasteho", "Dilnaz", "Ghezal", "Berivan", "Tesfalem", "Mussie",
                  "Hawraa", "Sidra", "Elvedina", "Mergim", "Jiwan", "Ubaxo", "Roshna", "Zhilwan",
                  "Ardita", "Samiya", "Hawlin", "Nigist", "Kowsar"]
listed_surnames = ["Hassan", "Mohamed", "Ahmadi", "Yilmaz", "Hodzic", "Berisha", "Tesfay",
                   "Karimi", "Barzani", "Andersson", "Al-Ali", "Jama", "Hosseini", "Kaya",
                   "Osmanovic", "Nilsson", "Haddad", "Rahimi", "Warsame", "Gashi"]
unlisted_surnames = ["Qaraman", "Dahirow", "Xoshewi", "Mehmedbasic", "Ghebrekidan",
                     "Nurzai", "Kelmendaj", "Sahindal"]
kin = ["brodern", "systern", "mamman", "pappan", "kusinen", "morbrodern", "farbrodern",
       "hennes bror", "hans syster", "hennes kompis", "hans fästmö", "hennes pojkvän",
       "styvpappan", "mostern", "hennes make"]

listed_places = ["Rosengård", "Gottsunda", "Hjällbo", "Rinkeby", "Tensta", "Husby", "Vivalla",
                 "Navestad", "Skäggetorp", "Araby", "Hammarkullen", "Bergsjön", "Seved",
                 "Herrgården", "Fittja", "Alby", "Ronna", "Hovsjö", "Biskopsgården", "Lindängen",
                 "Kroksbäck", "Holma", "Valsätra", "Stenhagen", "Brickebacken", "Råslätt",
                 "Öxnehaga", "Hässleholmen", "Norrby", "Bäckby"]
unlisted_places = ["Kallhäll", "Skälby", "Hovås", "Sandared", "Görväln", "Kvarnby", "Bjärred",
                   "Lövsta", "Frövik", "Tallbohov", "Ekängen", "Brunnsby", "Hagby", "Skogsby"]
streets = ["Storgatan", "Drottninggatan", "Kungsvägen", "Ringvägen", "Bergsgatan",
           "Norra Vallgatan", "Sveavägen", "Hjalmar Brantingsgatan", "Lyckegränd",
           "Ekbacksvägen", "Tallstigen", "Möllevångstorget"]

listed_schools = ["Rinkebyskolan", "Husbyskolan", "Vivallaskolan", "Rosengårdsskolan",
                  "Gottsundaskolan", "Hjällboskolan", "Tensta gymnasium", "Rudbecksgymnasiet"]
unlisted_schools = ["Ekbackeskolan", "Sjöängsskolan", "Furuhedsskolan", "Rosendalsgymnasiet",
                    "Tallbackens förskola", "Solrosens förskola", "Näckrosskolan",
                    "Lindängsskolan", "Kvarnbyskolan", "Bergsjöskolan", "Enbackens förskola",
                    "Vittra Järna", "Internationella Engelska Skolan i Järfälla",
                    "Kunskapsskolan i Uppsala", "Engelska skolan i Enskede", "Hagabergsskolan",
                    "Fristadsgymnasiet", "Västerportskolan", "Björkhagens förskola"]
classes = ["9B", "8A", "7C", "6D", "9E", "5A", "3B", "1C", "2F", "4B"]
towns = ["Malmö", "Uppsala", "Göteborg", "Örebro", "Borås", "Södertälje", "Norrköping",
         "Linköping", "Västerås", "Eskilstuna"]
workplaces = ["Pizzeria Roma", "Pizzeria Bella Napoli", "Restaurang Aleppo", "Café Damaskus",
              "Hassans Livs", "Yilmaz Bygg AB", "Salong Hodan", "Frisör Dilan",
              "Kebab Corner", "Ali Baba Grill", "Berisha Städ AB", "Karimi Trading",
              "Mahmouds Bageri", "Asmara Market", "Kurdistan Livs", "Sahin Transport",
              "Bilverkstaden Motorhuset", "Bazar Orienten", "Anatolia Kebab", "Nour Livs"]

pos = []
neg = []

def name():
    g = rng.choice(listed_given if rng.random() < 0.7 else unlisted_given)
    r = rng.random()
    if r < 0.45:
        s = rng.choice(listed_surnames if rng.random() < 0.7 else unlisted_surnames)
        return g + " " + s, g in unlisted_given
    return g, g in unlisted_given

name_templates = [
    "{n}, {a} år, har berättat för kuratorn att hon ska giftas bort i sommar.",
    "{N} är orolig för resan till hemlandet och vill inte åka.",
    "Eleven heter {n} och går i årskurs {y}.",
    "Vi har fått en orosanmälan om {n} från skolsköterskan.",
    "{K} {g} har hotat henne flera gånger enligt {n}.",
    "Flickan, som kallas {g}, har hög frånvaro sedan jul.",
    "Jag träffade {n} i går och hon var mycket rädd.",
    "Hon berättar att {k} {g} kontrollerar hennes telefon.",
    "Pojken {n} ({a}) har sagt att han inte får träffa sina vänner.",
    "Enligt {n} ska förlovningen ske efter Ramadan.",
    "{k} {g} följer efter henne till skolan varje dag.",
    "Vi vet att {n} har en äldre syster som redan är gift.",
    "{N}s mamma ringde skolan tre gånger förra veckan.",
    "Kan vi ringa {n} direkt eller ska det gå via socialtjänsten?",
    "hon säger att {l} har slagit henne",
    "Mötet med {n} och tolken hölls på BUP i tisdags.",
    "Hennes namn är {n} och hon är {a} år.",
    "Vi har pratat med {n} om skyddat boende.",
]
for i in range(160):
    n, unlisted = name()
    g = n.split()[0]
    t = rng.choice(name_templates)
    if "{l}" in t:
        if unlisted:
            n, unlisted = rng.choice(listed_given), False
        s = t.format(l=n.lower())
    else:
        if unlisted and not any(c in t for c in ("heter", "kallas", "{k}", "{K}", "{a}", "namn")):
            # an unlisted name needs a cue: use one
            t = "Eleven heter {n} och går i årskurs {y}."
        s = t.format(n=n, N=n, g=g, a=rng.randint(11, 19), y=rng.randint(6, 9),
                     k=rng.choice(kin), K=rng.choice(kin).capitalize())
    pos.append(("name", s))

school_templates = [
    "Hon går i {c} på {S}.",
    "Eleven i klass {c} på {S} har inte kommit tillbaka efter sommarlovet.",
    "Vi är kuratorer på {S} och behöver råd.",
    "Han bytte till {S} i höstas.",
    "Lärarna på {S} har märkt att hon är ledsen.",
    "Barnet går på {S} och hämtas av morbrodern.",
    "{S} har gjort en orosanmälan.",
    "Systern går i {c} på {S} och brodern på gymnasiet.",
]
for i in range(110):
    sch = rng.choice(listed_schools if rng.random() < 0.4 else unlisted_schools)
    t = rng.choice(school_templates)
    pos.append(("school", t.format(S=sch, c=rng.choice(classes))))

place_templates = [
    "Familjen bor i {P} sedan två år.",
    "Hon växte upp i {P} och har släkt där.",
    "De flyttade till {P} efter skilsmässan.",
    "Pojken hänger med äldre killar i {P} på kvällarna.",
    "Hon bor på {T} tillsammans med sin moster.",
    "Vi mötte henne utanför {P} centrum.",
    "Brodern har setts vid {T} flera kvällar.",
    "Mamman har en lägenhet i {P} men bor hos släkt.",
    "Hon promenerar hem längs {T} varje dag.",
    "Släkten i {P} har ordnat förlovningen.",
]
for i in range(110):
    t = rng.choice(place_templates)
    p = rng.choice(listed_places if rng.random() < 0.6 else unlisted_places)
    pos.append(("place", t.format(P=p, T=rng.choice(streets))))

work_templates = [
    "Pappan jobbar på {W} och kommer hem sent.",
    "Brodern arbetar på {W} i {t}.",
    "Hon har extrajobb på {W} på helgerna.",
    "Farbrodern äger {W} och bestämmer i familjen.",
    "Kusinen praktiserar på {W} sedan i våras.",
    "Mamman städar på {W} på kvällarna.",
    "Pojken sommarjobbar på {W}.",
]
for i in range(80):
    t = rng.choice(work_templates)
    pos.append(("workplace", t.format(W=rng.choice(workplaces), t=rng.choice(towns))))

# Negative: realistic sentences full of capitalised words that identify nobody.
authorities = ["Socialtjänsten", "Polisen", "BUP", "Migrationsverket", "Skolverket", "Barnahus",
               "Kvinnojouren", "BRIS", "Rädda Barnen", "Försäkringskassan", "Åklagarmyndigheten",
               "Länsstyrelsen", "Elevhälsan", "Ungdomsmottagningen", "Tingsrätten",
               "Förvaltningsrätten", "Skolinspektionen", "IVO", "Röda Korset", "Origo",
               "Nationella kompetensteamet", "Arbetsförmedlingen", "Familjerätten", "SiS"]
countries = ["Syrien", "Irak", "Somalia", "Afghanistan", "Iran", "Eritrea", "Turkiet",
             "Bosnien", "Kosovo", "Libanon", "Etiopien", "Pakistan", "Sverige", "Tyskland",
             "Danmark", "Norge", "Jordanien", "Egypten", "Marocko", "Albanien"]
holidays = ["Eid", "Ramadan", "Midsommar", "Påsk", "jul", "Newroz", "sommarlovet", "höstlovet",
            "sportlovet", "Lucia"]
laws = ["LVU", "SoL", "Skollagen", "Brottsbalken", "Föräldrabalken", "OSL", "LSS",
        "Barnkonventionen", "Socialtjänstlagen", "Utlänningslagen"]
cities = ["Stockholm", "Göteborg", "Malmö", "Uppsala", "Örebro", "Linköping", "Västerås",
          "Norrköping", "Helsingborg", "Jönköping", "Umeå", "Borås", "Södertälje", "Kabul",
          "Bagdad", "Mogadishu", "Damaskus", "Istanbul", "Erbil", "Asmara", "Teheran"]
languages = ["arabiska", "somaliska", "dari", "persiska", "kurdiska", "tigrinja", "turkiska",
             "bosniska", "albanska", "svenska", "engelska", "Arabiska", "Somaliska"]
months = ["januari", "februari", "mars", "april", "maj", "juni", "augusti", "september",
          "oktober", "november", "december"]
days = ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "Måndag", "Fredag"]
counties = ["Skåne", "Västra Götaland", "Östergötland", "Kronoberg", "Norrbotten", "Dalarna",
            "Värmland", "Stockholms län", "Uppsala län", "Gotland"]
neg_templates = [
    "{A} och {B} har haft ett gemensamt möte om flickan.",
    "Familjen kommer från {C} och talar {L} hemma.",
    "Efter {H} planerar familjen en resa till {C}.",
    "Vi överväger att ansöka om vård enligt {Law} hos {A}.",
    "Mötet hölls på {D} den 12 {M} med tolk på {L}.",
    "Hon har kontakt med {A} i {City}.",
    "Kan {A} besluta om utreseförbud enligt {Law}?",
    "Pappan har släkt i {City} och i {C}.",
    "Vi arbetar i {County} och har samverkan med {A}.",
    "Enligt {Law} ska {A} göra en skyddsbedömning.",
    "Under {H} var eleven borta från skolan i två veckor.",
    "Skolan har kontaktat {A} och {B} inför sommarlovet.",
    "Flickan vill inte resa till {C} i {M}.",
    "{A} i {City} har tagit emot anmälan.",
    "Tolken talade {L} men flickan förstår bäst {L2}.",
    "Hon har varit i {C} och {C2} tidigare somrar.",
    "Ärendet gäller en pojke från {C} som bor i {City}.",
    "Mamman har fått stöd av {A} sedan {M}.",
    "På {D} har vi handledning med {A}.",
    "Vad säger {Law} om vårdnadshavarnas rätt att resa med barnet till {C}?",
]
seen = set()
while len(neg) < 320:
    t = rng.choice(neg_templates)
    a, b = rng.sample(authorities, 2)
    c, c2 = rng.sample(countries, 2)
    l, l2 = rng.sample(languages, 2)
    s = t.format(A=a, B=b, C=c, C2=c2, L=l, L2=l2, H=rng.choice(holidays), Law=rng.choice(laws),
                 D=rng.choice(days), M=rng.choice(months), City=rng.choice(cities),
                 County=rng.choice(counties))
    s = s[0].upper() + s[1:]
    if s not in seen:
        seen.add(s)
        neg.append(s)

with open("positive_names.txt", "w") as f:
    f.write("# Generated by make_names_corpus.py (issue 20): names, schools, places,\n"
            "# workplaces. Format: KIND<TAB>sentence. All people and businesses invented.\n")
    for kind, s in pos:
        f.write(f"{kind}\t{s}\n")
with open("negative_names.txt", "w") as f:
    f.write("# Generated by make_names_corpus.py (issue 20): sentences full of capitalised\n"
            "# words that identify nobody (authorities, countries, laws, holidays, cities).\n")
    for s in neg:
        f.write(s + "\n")
