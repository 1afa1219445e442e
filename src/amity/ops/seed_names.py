"""Built-in name lists for generated data (no downloads): ~200 first and ~290 last names from
many countries, with accents, plus the job titles, tags, stages and places they are mixed with."""

from __future__ import annotations

import unicodedata


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words("""
James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard
Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty
Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua
Michelle Kenneth Carol Kevin Amanda Brian Dorothy George Melissa Timothy Deborah Ronald
Stephanie Edward Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob Kathleen Gary Amy
Nicholas Angela Eric Shirley Jonathan Anna Stephen Brenda Larry Pamela Justin Emma Scott Nicole
Brandon Helen Benjamin Samantha Samuel Katherine Gregory Christine Alexander Debra Frank Rachel
Patrick Carolyn Raymond Janet Jack Catherine Dennis Maria Jerry Heather Tyler Diane Aaron Ruth
José Zoë Chloé Renée Søren Björn Ångström Łukasz Małgorzata François Hélène Jürgen Müge Ayşe
Mehmet Fatima Mohammed Aisha Omar Layla Hiroshi Yuki Haruto Sakura Wei Mei Jun Xin Priya Arjun
Ananya Rohan Aditi Vikram Olumide Chiamaka Kwame Ama Thabo Naledi Mateo Sofía Valentina Santiago
Camila Diego Lucía Joaquín Isabella Gabriel Léa Louis Manon Hugo Inès Lukas Mia Finn Hannah
Giulia Lorenzo Chiara Matteo Aoife Cian Siobhan Niamh Oisín Ingrid Astrid Lars Freya Olga Dmitri
Anastasia Ivan Katarzyna Piotr Tomasz Zsófia Bence Eszter Nikos Eleni Dimitra Yosef Noa Tamar
""")

LAST_NAMES = _words("""
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips
Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers
Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson
Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders
Patel Myers Long Ross Foster Jimenez Müller Schmidt Schneider Fischer Weber Wagner Becker
Schulz Hoffmann Koch Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger
Hofmann Hartmann Lange Dubois Durand Lefebvre Moreau Laurent Simon Michel Lefèvre Leroy Roux
David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Rossi
Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti DeLuca
Mancini Costa Giordano Rizzo Lombardi Moretti O'Brien O'Connor McCarthy Byrne Ryan Doyle
Kowalski Nowak Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Novák
Svoboda Dvořák Černý Procházka Nagy Kovács Tóth Szabó Horváth Varga Papadopoulos Georgiou
Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Hansen Jensen Nielsen
Pedersen Sørensen Rasmussen Virtanen Korhonen Mäkinen Nieminen Y\u0131lmaz Kaya Demir Şahin Çelik
Tanaka Suzuki Takahashi Watanabe Itō Yamamoto Nakamura Kobayashi Wang Zhang Chen Liu Yang
Huang Zhao Zhou Sharma Singh Kumar Gupta Reddy Iyer Banerjee Chatterjee Okafor Adeyemi
Mensah Boateng Nkosi Dlamini Mwangi Otieno Haddad Khoury Nasser Mansour Cohen Levi Mizrahi
Friedman Silva Santos Oliveira Souza Pereira Ferreira Almeida Carvalho Ribeiro Fernández
""")

DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "fastmail.com",
           "acme-corp.com", "globex.io", "initech.net", "umbrella.co", "hooli.com", "piedpiper.io",
           "example.org", "bakery.fr", "stark-industries.com", "wayne-enterprises.com"]
JOB_TITLES = ["CEO", "CTO", "Head of Sales", "Account Executive", "Marketing Manager",
              "Procurement Lead", "Office Manager", "Software Engineer", "Operations Director",
              "Customer Success Manager", "Founder", "Designer", "Buyer", "Consultant", None, None]
TAGS = ["vip", "newsletter", "wholesale", "trade-show-2025", "referral", "partner", "churn-risk",
        "beta", "b2b", "b2c", "event", "holiday-card"]
STAGES = ["subscriber", "lead", "lead", "qualified", "opportunity", "customer", "customer",
          "customer", "evangelist", "churned"]
SOURCES = ["website", "referral", "trade show", "cold call", "linkedin", "import", "webinar", None]
CITIES = [("San Francisco", "CA", "US"), ("New York", "NY", "US"), ("Austin", "TX", "US"),
          ("London", None, "GB"), ("Paris", None, "FR"), ("Berlin", None, "DE"),
          ("Toronto", "ON", "CA"), ("Madrid", None, "ES"), ("Tokyo", None, "JP")]
US_AREAS = ["212", "415", "312", "617", "206", "512", "303", "404", "646", "213", "305", "702"]


def ascii_fold(s: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", s)
                   if not unicodedata.combining(ch) and (ch.isalnum() or ch in ".-")).lower()
