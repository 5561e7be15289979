"""Common first names and surnames in Sweden (among the most frequent in SCB's name statistics).

Used only next to a capitalised word ("Karin Lundqvist"), never alone, so that words such as
"Per" in "per månad" (lower case) or a lone "Eva" stay as written.
"""

from __future__ import annotations

from typing import Final

_FIRST_NAMES = """
    Anna Eva Maria Karin Sara Christina Lena Kerstin Emma Ingrid Marie Malin Jenny Linda Hanna Birgitta
    Inger Sofia Annika Susanne Elin Monica Ulla Johanna Carina Elisabeth Helena Margareta Camilla Ida
    Julia Åsa Sandra Anita Ulrika Therese Gunilla Josefin Cecilia Sofie Frida Lisa Katarina Louise Agneta
    Matilda Elisabet Amanda Ebba Maja Alice Elsa Ella Wilma Astrid Alva Vera Signe Saga Ellen Moa Klara
    Ronja Tove Ylva Petra Jessica Caroline Emelie Felicia Nathalie Rebecka Hedvig Agnes Stina Lovisa
    Viktoria Charlotte Mikaela Pernilla Madeleine Gun Britt Marianne Siv Berit Barbro Yvonne Gunnel
    Anneli Veronica Lotta Mia Jeanette Åsa-Lena Anna-Karin Anna-Lena Eva-Lena Ann-Marie Ann-Sofie
    Erik Lars Karl Anders Johan Per Nils Carl Mikael Jan Hans Peter Olof Gunnar Sven Fredrik Bengt
    Daniel Bo Alexander Gustav Magnus Åke Göran Stefan Lennart Mats Johannes Andreas Thomas Ulf Jonas
    Kjell Mattias Henrik Björn Oskar Bertil Christer Leif Martin Robert Stig Simon Tommy David Rolf
    Roger Niklas Patrik Emil Ingvar Viktor Jonathan Joakim Marcus Kristoffer Sebastian Axel Anton
    Filip Oscar Ludvig Elias William Hugo Lucas Liam Noah Adam Isak Vincent Theo Albin Arvid Melvin
    Jakob Jacob Linus Rasmus Tobias Robin Kevin Dennis Pontus Gabriel Samuel Felix Edvin Måns Love
    Olle Pelle Janne Kenneth Roland Tomas Rickard Urban Jörgen Torbjörn Håkan Kent Lars-Erik Per-Olof
    Jan-Erik Karl-Erik Mohammed Mohamed Ahmed Ali Hassan Hussein Omar Yusuf Ibrahim Mustafa Abdi
    Fatima Amina Aisha Leila Yasmin Sara Nour Zahra Maryam Hiba Dragan Milan Goran Ivana Jelena
    Piotr Tomasz Anna-Maria Nguyen Minh Ahmad Reza Ali-Reza Mehmet Ayse Elif Emre
"""

_SURNAMES = """
    Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson Gustafsson Pettersson
    Jonsson Jansson Hansson Bengtsson Jönsson Lindberg Jakobsson Magnusson Lindström Olofsson Lindqvist
    Lindgren Axelsson Berg Bergström Lundberg Lind Lundgren Lundqvist Mattsson Berglund Fredriksson
    Sandberg Henriksson Forsberg Sjöberg Wallin Engström Eklund Danielsson Lundin Håkansson Björk
    Bergman Gunnarsson Holm Wikström Samuelsson Isaksson Fransson Bergqvist Nyström Holmberg Arvidsson
    Löfgren Söderberg Nyberg Blomqvist Claesson Nordström Mårtensson Lundström Viklund Björklund
    Eliasson Pålsson Berggren Sandström Lund Nordin Ström Åberg Hermansson Ekström Holmgren Sundberg
    Hedlund Dahlberg Hellström Sjögren Abrahamsson Falk Öberg Blom Ek Martinsson Andreasson Strömberg
    Månsson Hansen Åkesson Dahl Lindholm Norberg Holmqvist Sjödin Wallén Hägglund Westerlund Nordlund
    Ali Ahmed Mohammed Mohamed Hassan Hussein Nguyen Yilmaz Hosseini Ibrahim Abdi Omar Kaya Demir
    Nowak Jovanović Rahimi Karimi Ahmadi Mohammadi
"""

FIRST_NAMES: Final = frozenset(_FIRST_NAMES.split())
SURNAMES: Final = frozenset(_SURNAMES.split())
